"""TLS to the database: cronkeeper against a private PostgreSQL and a private
MariaDB that accept encrypted connections only.

For each server: a self-signed certificate for `localhost` is made with openssl;
the server refuses plain connections (PostgreSQL: `hostnossl ... reject` in
pg_hba.conf; MariaDB: `require_secure_transport`), so a service that becomes
ready and runs jobs proves its connections are encrypted. Then:
- verification on (`sslmode=verify-full` / `ssl-mode=VERIFY_IDENTITY`) with the
  certificate as CA: accepted;
- verification on without that CA: the start is refused with a certificate
  error (a man in the middle with his own certificate would be refused too);
- TLS off (`sslmode=disable` / `ssl-mode=DISABLED`): refused by the server, and
  the start fails with a message, not a hang.

Usage: python3 db_tls.py [postgres|mariadb|all]
"""

import argparse
import os
import shutil
import subprocess
import tempfile
import time

from common import IN_CI, PrivatePostgres, Service, binary_or_exit, check, free_port, run_main


def certificate(directory):
    """A private CA and a server certificate for `localhost` signed by it (a
    CA certificate itself may not serve as the server's: rustls refuses it).
    Returns (server key, server certificate, CA certificate)."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    d = directory
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=cronkeeper test CA",
            "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr")
    with open(f"{d}/server.ext", "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", f"{d}/server.ext", "-out", f"{d}/server.crt")
    os.chmod(f"{d}/server.key", 0o600)
    return f"{d}/server.key", f"{d}/server.crt", f"{d}/ca.crt"


class TlsPostgres(PrivatePostgres):
    name = "PostgreSQL"

    def __init__(self):
        super().__init__("ck-pgtls-")
        key, cert, self.ca = certificate(self.dir)
        if self.as_pg:
            shutil.chown(key, "postgres", "postgres")
        with open(f"{self.data}/pg_hba.conf", "w") as f:
            f.write("local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}")
        self.pg("pg_ctl", "-D", self.data, "-o", opts, "-l", f"{self.dir}/pg.log", "-w", "start")
        self.pg("psql", "-h", self.dir, "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE ck")
        base = f"postgres://postgres@localhost:{self.port}/ck"
        self.encrypted = f"{base}?sslmode=require"
        self.verified = f"{base}?sslmode=verify-full&sslrootcert={self.ca}"
        self.unknown_ca = f"{base}?sslmode=verify-full"
        self.plain = f"{base}?sslmode=disable"

    def encrypted_sessions(self):
        """cronkeeper's sessions, and how many of them use TLS (pg_stat_ssl)."""
        out = subprocess.run(
            self.as_pg + ["psql", "-h", self.dir, "-p", str(self.port), "-U", "postgres", "-d", "ck", "-At", "-c",
                          "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a "
                          "JOIN pg_stat_ssl s USING (pid) WHERE a.datname = 'ck' AND a.client_addr IS NOT NULL"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        total, tls = (int(x) for x in out.split("|"))
        return total, tls

    def cleanup(self):
        try:
            self.pg("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


class TlsMariadb:
    name = "MariaDB"

    def __init__(self):
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        if not os.path.exists(mariadbd):
            raise FileNotFoundError("no mariadbd")
        self.dir = tempfile.mkdtemp(prefix="ck-mariatls-")
        self.port = free_port()
        data = f"{self.dir}/data"
        self.socket = f"{self.dir}/mysqld.sock"
        user = ["--user=mysql"] if os.geteuid() == 0 else []
        key, cert, self.ca = certificate(self.dir)
        if user:
            for path in (self.dir, key, cert, self.ca):
                shutil.chown(path, "mysql", "mysql")
        subprocess.run(["mariadb-install-db", f"--datadir={data}", "--auth-root-authentication-method=normal", "--skip-test-db", *user],
                       check=True, capture_output=True)
        self.proc = subprocess.Popen(
            [mariadbd, "--no-defaults", f"--datadir={data}", f"--port={self.port}", "--bind-address=127.0.0.1",
             f"--socket={self.socket}", f"--pid-file={self.dir}/mysqld.pid", "--skip-log-bin", "--innodb-buffer-pool-size=32M",
             f"--ssl-cert={cert}", f"--ssl-key={key}", "--require-secure-transport=ON", *user],
            stdout=subprocess.DEVNULL, stderr=open(f"{self.dir}/mariadb.log", "a"),
        )
        for _ in range(120):
            if self.client("SELECT 1").returncode == 0:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("the private MariaDB did not start")
        self.client("CREATE DATABASE ck; CREATE USER 'ck'@'127.0.0.1' IDENTIFIED BY 'ck'; GRANT ALL ON ck.* TO 'ck'@'127.0.0.1'", check=True)
        base = f"mysql://ck:ck@localhost:{self.port}/ck"
        self.encrypted = f"{base}?ssl-mode=REQUIRED"
        self.verified = f"{base}?ssl-mode=VERIFY_IDENTITY&ssl-ca={self.ca}"
        self.unknown_ca = f"{base}?ssl-mode=VERIFY_IDENTITY"
        self.plain = f"{base}?ssl-mode=DISABLED"

    def client(self, sql, check=False):
        # Over the socket: require_secure_transport leaves local sockets alone.
        return subprocess.run(["mariadb", f"--socket={self.socket}", "-u", "root", "-N", "-B", "-e", sql],
                              check=check, capture_output=True, text=True)

    def encrypted_sessions(self):
        # Every TCP session is encrypted or refused; count cronkeeper's.
        out = self.client("SELECT count(*) FROM information_schema.PROCESSLIST WHERE USER = 'ck'", check=True).stdout.strip()
        return int(out), int(out)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


JOB = '[lanes.default]\nslots = 2\n[[jobs]]\ncode = "tls_tick"\nschedule = "@every 1s"\ncommand = ["true"]\n'


def refused_start(url, expect):
    """Starts cronkeeper on `url`; it must exit with an error naming `expect`."""
    svc = Service(JOB, database_url=url)
    svc.start(wait=False)
    try:
        code = svc.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        svc.stop()
        raise AssertionError(f"cronkeeper kept running on {url.split('?')[1]} instead of refusing it")
    log = svc.log_tail()
    check(code != 0, f"cronkeeper exited 0 on {url.split('?')[1]}")
    check(any(e in log.lower() for e in expect), f"the error for {url.split('?')[1]} does not say why ({expect}):\n{log}")
    print(f"  refused as it should ({url.split('?')[1]}): exit {code}")


def one(server):
    print(f"== {server.name}: TLS required by the server")
    svc = Service(JOB, database_url=server.verified).start()
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            done = svc.gql('{ runs(filter: {jobCode: "tls_tick", statuses: [SUCCEEDED]}, first: 1) { totalCount } }')
            if done["runs"]["totalCount"] >= 2:
                break
            time.sleep(0.5)
        check(done["runs"]["totalCount"] >= 2, f"no runs succeeded over TLS: {done}")
        total, tls = server.encrypted_sessions()
        check(total > 0 and tls == total, f"{tls} of {total} sessions encrypted")
        print(f"  verify-full with the CA: ready, {done['runs']['totalCount']} runs succeeded, {tls}/{total} sessions encrypted")
    finally:
        svc.stop()
    svc = Service(JOB, database_url=server.encrypted).start()
    svc.stop()
    print("  encryption without verification (require): ready")
    refused_start(server.unknown_ca, ["certificate", "unknownissuer", "unknown issuer", "invalid peer"])
    # MariaDB answers a plain connection under require_secure_transport with
    # "Access denied" (1045) rather than naming the transport.
    refused_start(server.plain, ["reject", "ssl", "secure transport", "insecure", "tls", "encryption", "access denied"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("backend", nargs="?", default="all", choices=["postgres", "mariadb", "all"])
    args = ap.parse_args()
    binary_or_exit()
    kinds = {"postgres": [TlsPostgres], "mariadb": [TlsMariadb], "all": [TlsPostgres, TlsMariadb]}[args.backend]
    for kind in kinds:
        try:
            server = kind()
        except (FileNotFoundError, subprocess.CalledProcessError, RuntimeError) as e:
            if IN_CI:
                raise
            print(f"SKIPPED db_tls {kind.name}: cannot start a private server ({e})")
            continue
        try:
            one(server)
        finally:
            server.cleanup()


if __name__ == "__main__":
    run_main(main)
