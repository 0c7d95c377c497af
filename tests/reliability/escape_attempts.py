"""Job definitions that try to escape, over the real API of the real binary:

- argv with shell metacharacters runs no shell: `; touch`, `$(touch)`, backquotes, pipes,
  `&&` and redirections in arguments (and in the program name, and in an environment
  value) are handed to the program as plain bytes; none of the marker files appears;
- cronkeeper's own settings (CRONKEEPER_*: the JWT secret) are not in a job's environment;
- environment and working-directory values are validated where the job enters: invalid
  names, NUL bytes, loader variables (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH) and relative
  working directories are refused with BAD_USER_INPUT naming the field, and nothing is
  stored; a working directory that does not exist fails the run, naming the directory;
- only an admin may set an executor: operator and viewer tokens that create a job, change
  a job's executor or sync Magento jobs with a command are refused (FORBIDDEN), and the
  job is unchanged.

The refusals are counted and printed.
"""

import os
import tempfile
import time

from common import Figures, Service, binary_or_exit, check, run_main, token

UPSERT = """mutation($input: JobInput!) { upsertJob(input: $input) { code executor { __typename
  ... on CommandExecutor { argv env { name value } workingDir } } } }"""
RUN_NOW = "mutation($code: String!) { runJobNow(code: $code) { id } }"
RUN = "query($id: ID!) { run(id: $id) { status output error exitCode } }"


def wait_run(svc, run_id, within=30):
    deadline = time.time() + within
    while time.time() < deadline:
        run = svc.gql(RUN, {"id": run_id}, role="viewer")["run"]
        if run["status"] not in ("PENDING", "QUEUED", "RUNNING", "WAITING"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish within {within} s")


def run_job(svc, code, command):
    svc.gql(UPSERT, {"input": {"code": code, "schedule": "0 3 * * *", "executor": {"command": command}}})
    run_id = svc.gql(RUN_NOW, {"code": code})["runJobNow"]["id"]
    return wait_run(svc, run_id)


def refusal(svc, query, variables, role):
    status, body = svc.post({"query": query, "variables": variables}, {"Authorization": f"Bearer {token(role)}"})
    check(status == 200 and isinstance(body, dict), f"HTTP {status}: {body}")
    errors = body.get("errors") or []
    check(errors, f"accepted, expected a refusal: {body}")
    ext = errors[0].get("extensions") or {}
    message = errors[0]["message"]
    return ext.get("code"), message.split(": ", 1)[0], message


def main():
    binary_or_exit()
    marker_dir = tempfile.mkdtemp(prefix="ck-escape-")
    mark = lambda n: os.path.join(marker_dir, f"pwned{n}")
    svc = Service().start()
    figures = Figures("escape attempts")
    try:
        # 1. Shell metacharacters are plain arguments.
        tricks = [f"; touch {mark(1)}", f"$(touch {mark(2)})", f"`touch {mark(3)}`", f"| touch {mark(4)}",
                  f"&& touch {mark(5)}", f"> {mark(6)}", f"\n touch {mark(7)}"]
        run = run_job(svc, "esc_args", {"argv": ["/bin/echo", *tricks]})
        check(run["status"] == "SUCCEEDED", f"echo run: {run}")
        check(run["output"] == " ".join(tricks) + "\n", f"echo printed something else: {run['output']!r}")
        figures["argv with shell metacharacters"] = "printed literally by echo"

        run = run_job(svc, "esc_program", {"argv": [f"true; touch {mark(8)}"]})
        check(run["status"] == "FAILED" and "not found" in (run["error"] or ""), f"program name with `;`: {run}")
        figures["program name `true; touch …`"] = f"FAILED: {run['error']}"

        run = run_job(svc, "esc_env", {"argv": ["/usr/bin/env"], "env": [{"name": "X", "value": f"$(touch {mark(9)})"}]})
        check(run["status"] == "SUCCEEDED", f"env run: {run}")
        check(f"X=$(touch {mark(9)})" in run["output"], f"env value not literal: {run['output']!r}")
        # CRONKEEPER_RUN (the run's mark, docs/configuration.md) is the one variable of
        # ours a job gets; none of cronkeeper's own settings may follow it.
        own = [l.split("=", 1)[0] for l in run["output"].splitlines() if l.startswith("CRONKEEPER_")]
        check(own == ["CRONKEEPER_RUN"], f"cronkeeper's own settings leaked into the job's environment: {own}")
        figures["CRONKEEPER_* variables in a job's environment, besides the run mark"] = 0

        created = [n for n in range(1, 10) if os.path.exists(mark(n))]
        check(not created, f"a shell ran: markers {created} exist")
        figures["marker files created by the tricks"] = f"0 of 9"

        # 2. Validation where the job enters.
        bad = [
            ("env name with `=`", {"env": [{"name": "A=B", "value": "1"}]}, "executor.command.env[0].name"),
            ("env name starting with a digit", {"env": [{"name": "1X", "value": "1"}]}, "executor.command.env[0].name"),
            ("env name with a space", {"env": [{"name": "A B", "value": "1"}]}, "executor.command.env[0].name"),
            ("env name LD_PRELOAD", {"env": [{"name": "LD_PRELOAD", "value": "/tmp/evil.so"}]}, "executor.command.env[0].name"),
            ("env name LD_AUDIT", {"env": [{"name": "LD_AUDIT", "value": "/tmp/evil.so"}]}, "executor.command.env[0].name"),
            ("env name LD_LIBRARY_PATH", {"env": [{"name": "OK", "value": "1"}, {"name": "LD_LIBRARY_PATH", "value": "/tmp"}]}, "executor.command.env[1].name"),
            ("env value with a NUL byte", {"env": [{"name": "A", "value": "x\u0000y"}]}, "executor.command.env[0].value"),
            ("argv with a NUL byte", {"argv": ["/bin/echo", "a\u0000b"]}, "executor.command.argv[1]"),
            ("empty argv", {"argv": []}, "executor.command.argv"),
            ("relative working directory", {"workingDir": "var/www"}, "executor.command.workingDir"),
            ("working directory with a NUL byte", {"workingDir": "/tmp\u0000/x"}, "executor.command.workingDir"),
        ]
        for name, override, field in bad:
            command = {"argv": ["/bin/true"], **override}
            code, got_field, message = refusal(svc, UPSERT, {"input": {"code": "esc_bad", "schedule": "0 3 * * *", "executor": {"command": command}}}, "admin")
            check(code == "BAD_USER_INPUT" and got_field == f"input.{field}", f"{name}: {code} {got_field} {message}")
            print(f"  refused {name:<36} input.{field}: {message}")
            figures.add("invalid definitions refused (BAD_USER_INPUT)")
        check(svc.gql('{ job(code: "esc_bad") { code } }', role="viewer")["job"] is None, "a refused job was stored")

        run = run_job(svc, "esc_nodir", {"argv": ["/bin/true"], "workingDir": "/nonexistent/cronkeeper-escape"})
        check(run["status"] == "FAILED" and "/nonexistent/cronkeeper-escape" in (run["error"] or ""), f"missing dir: {run}")
        figures["working directory that does not exist"] = f"run FAILED: {run['error']}"

        # 3. Only admins set executors.
        evil = {"command": {"argv": ["/usr/bin/touch", mark(10)]}}
        attempts = [
            ("create a command job", UPSERT, {"input": {"code": "esc_new", "schedule": "* * * * *", "executor": evil}}),
            ("change a job's executor", UPSERT, {"input": {"code": "esc_args", "executor": evil}}),
            ("change only the schedule", UPSERT, {"input": {"code": "esc_args", "schedule": "* * * * *"}}),
            ("sync Magento jobs with a command", "mutation($i: [MagentoJobInput!]!) { syncMagentoJobs(input: $i) { created } }",
             {"i": [{"code": "esc_mage", "group": "default", "schedule": "* * * * *", "instance": "X", "method": "execute", "command": ["cache:flush"]}]}),
        ]
        for role in ("operator", "viewer"):
            for name, query, variables in attempts:
                code, _, message = refusal(svc, query, variables, role)
                check(code == "FORBIDDEN", f"{role} {name}: {code} {message}")
                print(f"  refused {role:<8} {name:<34} {message}")
                figures.add("executor changes by non-admins refused (FORBIDDEN)")
        job = svc.gql('{ job(code: "esc_args") { schedule executor { ... on CommandExecutor { argv } } } }', role="viewer")["job"]
        check(job["executor"]["argv"][0] == "/bin/echo" and job["schedule"] == "0 3 * * *", f"the job changed: {job}")
        check(svc.gql('{ job(code: "esc_new") { code } }', role="viewer")["job"] is None, "a non-admin created a job")
        time.sleep(1.5)
        check(not os.path.exists(mark(10)), "a non-admin's command ran")
        figures.show()
    finally:
        svc.stop()


if __name__ == "__main__":
    run_main(main)
