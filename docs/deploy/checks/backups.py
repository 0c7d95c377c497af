"""The backup commands of docs/setup/upgrading-and-backups.md, run for real."""

import re
import tempfile
from pathlib import Path

from artefacts import seconds, single_server, unit_values
from harness import SETUP, binary, check, clean_env, cli, drop_database, fresh_database, note, run, running, sigterm, sqlite_cli


UPGRADING = SETUP / "upgrading-and-backups.md"


def doc_command(prefix):
    """The first command line of upgrading-and-backups.md that starts with
    `prefix` (after any `sudo -u <user>`), without its trailing comment: the
    checks below run what the page says, so the page cannot drift from them."""
    lines = [re.sub(r"^sudo -u \S+ ", "", l).split("   #")[0].strip() for l in UPGRADING.read_text().splitlines()]
    found = [l for l in lines if l.startswith(prefix)]
    assert found, f"no `{prefix}` command in {UPGRADING.name}"
    return found[0]


@check("the page's SQLite backups (.backup, VACUUM INTO) copy a live database that cronkeeper then opens")
def _():
    sqlite3 = sqlite_cli()
    with tempfile.TemporaryDirectory() as tmp:
        unit, args, env, config = single_server(Path(tmp))
        state, backups = Path(tmp) / "state", Path(tmp) / "backups"
        backups.mkdir()
        with running(args, env) as proc:
            assert "listening" in proc.stdout.readline(), "serve did not start"
            # Something to find in the copy: the drain flag, set over the live database.
            cli(["drain", "--config", str(config)], env)
            copies = []
            for prefix in ("sqlite3 /var/lib/cronkeeper/cronkeeper.db \".backup", "sqlite3 /var/lib/cronkeeper/cronkeeper.db \"VACUUM INTO"):
                command = doc_command(prefix).replace("/var/lib/cronkeeper", str(state)).replace("/var/backups/cronkeeper", str(backups))
                r = run(["sh", "-c", command.replace("sqlite3 ", sqlite3 + " ", 1)])
                assert r.returncode == 0, f"{command}: {r.stderr}"
                copies.append(Path(re.search(r"'([^']+)'", command).group(1)))
            sigterm(proc, seconds(unit_values(unit, "Service", "TimeoutStopSec")[0]))
        check_line = doc_command("sqlite3 /var/backups/cronkeeper/cronkeeper.db \"PRAGMA integrity_check")
        for copy in copies:
            r = run([sqlite3, str(copy), "PRAGMA integrity_check"])
            assert r.stdout.strip() == "ok", f"{copy.name}: {r.stdout} {r.stderr}"
            assert "integrity_check" in check_line
            r = run([sqlite3, str(copy), "SELECT value FROM settings WHERE name = 'draining'"])
            assert r.stdout.strip() == "1", f"{copy.name}: the drain flag did not survive ({r.stdout!r} {r.stderr})"
            cli(["resume", "--config", str(config)], clean_env(CRONKEEPER_DATABASE_URL=f"sqlite://{copy}"))
        note(f"backed up a running server twice ({', '.join(c.name for c in copies)}), both open and resume")


@check("an older binary refuses a database a newer one migrated (what the upgrade page warns about)")
def _():
    sqlite3 = sqlite_cli()
    with tempfile.TemporaryDirectory() as tmp:
        env = clean_env(CRONKEEPER_DATABASE_URL=f"sqlite://{tmp}/cronkeeper.db")
        cli(["resume"], env)
        # What a newer release leaves behind: a migration this binary lacks.
        r = run([sqlite3, f"{tmp}/cronkeeper.db", "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (99990101000000, 'from a newer cronkeeper', 1, x'00', 0)"])
        assert r.returncode == 0, r.stderr
        r = run([binary(), "resume"], env=env)
        quoted = "was previously applied but is missing in the resolved migrations"
        assert r.returncode != 0 and quoted in r.stderr, f"exit {r.returncode}: {r.stderr.strip()}"
        assert quoted in UPGRADING.read_text(), "the page no longer quotes the error"


def round_trip(kind, commands, read_flag):
    """Drains a fresh database (so it holds something to find), runs the page's
    dump and restore `commands(source, target)` into a second one, and checks
    the flag came across and cronkeeper opens the copy."""
    source_url, source = fresh_database(kind)
    target_url, target = fresh_database(kind)
    try:
        cli(["drain"], clean_env(CRONKEEPER_DATABASE_URL=source_url))
        with tempfile.TemporaryDirectory() as tmp:
            for command in commands(source_url, source, target_url, target):
                assert "db.internal" not in command, command
                r = run(["sh", "-c", command], cwd=tmp)
                assert r.returncode == 0, f"{command}: {r.stderr}"
        r = run(read_flag(target_url, target))
        assert r.stdout.strip() == "1", f"the drain flag did not survive: {r.stdout!r} {r.stderr}"
        cli(["resume"], clean_env(CRONKEEPER_DATABASE_URL=target_url))
    finally:
        drop_database(kind, source)
        drop_database(kind, target)


FLAG_SQL = "SELECT value FROM settings WHERE name = 'draining'"


@check("the page's pg_dump and pg_restore commands round-trip a cronkeeper database")
def _():
    page_url = "postgres://cronkeeper:change-me@db.internal:5432/cronkeeper"
    round_trip(
        "postgres",
        lambda src_url, _s, dst_url, _t: [doc_command("pg_dump ").replace(page_url, src_url), doc_command("pg_restore ").replace(page_url, dst_url)],
        lambda url, _n: ["psql", url, "-tAc", FLAG_SQL],
    )


@check("the page's mysqldump and mysql commands round-trip a cronkeeper database")
def _():
    page_args = "--host=db.internal --user=cronkeeper --password cronkeeper"
    local = "--host=127.0.0.1 --user=root"
    round_trip(
        "mysql",
        lambda _su, src, _du, dst: [doc_command("mysqldump ").replace(page_args, f"{local} {src}"), doc_command("mysql --host").replace(page_args, f"{local} {dst}")],
        lambda _u, name: ["mysql", "-h127.0.0.1", "-uroot", "-N", "-D", name, "-e", FLAG_SQL],
    )
