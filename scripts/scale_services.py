"""Throw-away PostgreSQL and Redis servers on 127.0.0.1 for the scale-out tests and load runs.

Debian's packages (``postgresql``, ``redis-server``), nothing from the internet but apt:

    python -m scripts.scale_services install   # apt-get install them if missing (idempotent)
    python -m scripts.scale_services up        # start both, print the env vars, Ctrl-C stops

In code::

    with ScaleServices() as services:          # a temporary directory, free ports
        env = services.environment()           # UH_DATABASE_URL and REDIS_* (endpoints.production.yml)
        url = services.create_database("t1")   # another database on the same server (tests)

PostgreSQL runs from ``/usr/lib/postgresql/<version>/bin`` on a cluster made by ``initdb``
in the temporary directory (as the ``postgres`` user when we are root: PostgreSQL refuses
to run as root), listening on 127.0.0.1 and a Unix socket in that directory, with a
password (scram-sha-256) as production would. Durability is switched off (``fsync=off``)
because the cluster is deleted afterwards. Redis runs with ``--save ''`` (nothing on disk).
Every wait is bounded; :meth:`ScaleServices.stop` always removes the directory.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

APT_PACKAGES = ("postgresql", "redis-server")
DB_NAME = "union_helper"
DB_USER = "union_helper"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout), if any."""
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if (Path(p) / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def redis_bin() -> str | None:
    return shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


def missing_packages() -> list[str]:
    missing = []
    if postgres_bin() is None:
        missing.append("postgresql")
    if redis_bin() is None:
        missing.append("redis-server")
    return missing


def install(timeout: float = 900.0) -> None:
    """``apt-get install -y postgresql redis-server`` unless both are there already."""
    missing = missing_packages()
    if not missing:
        print("PostgreSQL 和 Redis 已安装。", flush=True)
        return
    if os.geteuid() != 0:
        raise SystemExit(
            f"缺少 {' '.join(missing)}：请以 root 运行 `apt-get update && apt-get install -y {' '.join(APT_PACKAGES)}`"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # Wait for another apt/dpkg run (a shared machine) instead of failing at once.
    lock = ["-o", f"DPkg::Lock::Timeout={int(timeout)}"]
    print(f"正在用 apt-get 安装 {' '.join(missing)} …", flush=True)
    with _no_service_starts():
        subprocess.run(["apt-get", *lock, "update", "-q"], check=True, env=env, timeout=timeout)
        subprocess.run(
            ["apt-get", *lock, "install", "-y", "-q", "--no-install-recommends", *missing],
            check=True,
            env=env,
            timeout=timeout,
        )
    if missing_packages():
        raise SystemExit(f"安装后仍找不到 {' '.join(missing_packages())}")


POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


@contextlib.contextmanager
def _no_service_starts() -> Iterator[None]:
    """Debian's postinst scripts start a system-wide PostgreSQL (port 5432) and Redis
    (6379) right after installing them. The tests never use those (they start private
    servers on free ports), so installing must not leave them running: a ``policy-rc.d``
    that denies every service start (exit 101, Debian's documented mechanism) while apt
    runs, unless the machine already has one (Docker images do)."""
    if POLICY_RC_D.exists():
        yield
        return
    POLICY_RC_D.write_text("#!/bin/sh\n# union-helper scale_services install: no service starts\nexit 101\n")
    POLICY_RC_D.chmod(0o755)
    try:
        yield
    finally:
        POLICY_RC_D.unlink(missing_ok=True)


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class ScaleServices:
    """A PostgreSQL cluster and a Redis server, both private to one temporary directory."""

    pg_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    root: Path | None = None
    with_redis: bool = True
    _redis: subprocess.Popen | None = None
    _pg_started: bool = False
    _own_root: bool = False

    # ------------------------------------------------------------------ environment

    def database_url(self, name: str = DB_NAME) -> str:
        """The SQLAlchemy URL of database ``name`` on this server (UH_DATABASE_URL)."""
        return f"postgresql://{DB_USER}:{self.password}@127.0.0.1:{self.pg_port}/{name}"

    def environment(self) -> dict[str, str]:
        """What endpoints.production.yml and every store read (except ACTION_ENDPOINT_URL):
        ``UH_DATABASE_URL`` (the one setting), its parts as ``TRACKER_*`` for older
        endpoint files, and Redis."""
        return {
            "UH_DATABASE_URL": self.database_url(),
            "TRACKER_HOST": "127.0.0.1",
            "TRACKER_PORT": str(self.pg_port),
            "TRACKER_DB": DB_NAME,
            "TRACKER_USER": DB_USER,
            "TRACKER_PASSWORD": self.password,
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.redis_port),
            "REDIS_DB": "0",
        }

    @property
    def pg_data(self) -> Path:
        assert self.root is not None
        return self.root / "pgdata"

    def connect(self, name: str = DB_NAME):
        """A psycopg2 connection to the database ``name`` (default: the shared one)."""
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1",
            port=self.pg_port,
            dbname=name,
            user=DB_USER,
            password=self.password,
            connect_timeout=5,
        )

    def create_database(self, name: str) -> str:
        """A new empty database on this server; its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database names here are letters, digits and _: {name!r}")
        connection = self.connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {name}")
        finally:
            connection.close()
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        connection = self.connect()
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            connection.close()

    def restart_postgres(self, timeout: float = 60.0) -> None:
        """Stop PostgreSQL (fast shutdown: every connection is cut) and start it again on
        the same port and data: what a database failover or a package upgrade does."""
        self.stop_postgres()
        self.start_postgres(timeout)

    def stop_postgres(self) -> None:
        bindir = postgres_bin()
        assert bindir is not None and self.root is not None
        subprocess.run(
            self._as_postgres(
                [str(bindir / "pg_ctl"), "-D", str(self.pg_data), "-m", "fast", "-w", "-t", "30", "stop"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=40,
        )
        self._pg_started = False

    def start_postgres(self, timeout: float = 60.0) -> None:
        self._pg_ctl_start(timeout)

    def restart_redis(self, timeout: float = 30.0) -> None:
        self.stop_redis()
        self.start_redis(timeout)

    def pg_bin(self, program: str) -> str:
        """The path of a PostgreSQL program (pg_dump, pg_restore, psql) of this server's version."""
        bindir = postgres_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed")
        return str(bindir / program)

    def redis(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=5)

    # ------------------------------------------------------------------ start / stop

    def _as_postgres(self, args: list[str]) -> list[str]:
        """PostgreSQL refuses to run as root: drop to the `postgres` user when we are root."""
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return args

    def start(self, timeout: float = 60.0) -> ScaleServices:
        missing = missing_packages()
        if missing:
            raise RuntimeError(f"{' '.join(missing)} not installed: run `python -m scripts.scale_services install`")
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="uh-scale-"))
            self._own_root = True
        try:
            if self.with_redis:
                self._start_redis(timeout)
            self._start_postgres(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def kill_redis(self) -> None:
        """SIGKILL Redis (a crash: locks it held are gone with it)."""
        if self._redis is not None and self._redis.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._redis.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._redis.wait(10)
        self._redis = None

    def stop_redis(self) -> None:
        """Stop Redis (a lock-store outage); :meth:`start_redis` brings it back on its port."""
        if self._redis is not None and self._redis.poll() is None:
            try:
                os.killpg(self._redis.pid, signal.SIGTERM)
                self._redis.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self._redis.pid, signal.SIGKILL)
                    self._redis.wait(5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        self._redis = None

    def start_redis(self, timeout: float = 30.0) -> None:
        self._start_redis(timeout)

    def _start_redis(self, timeout: float) -> None:
        root, binary = self.root, redis_bin()
        assert root is not None
        if binary is None:
            raise RuntimeError("redis-server is not installed (python -m scripts.scale_services install)")
        log = open(root / "redis.log", "ab")
        redis = self._redis = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
                "--dir",
                str(self.root),
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def ready() -> bool:
            if redis.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {root / 'redis.log'}")
            return _port_open(self.redis_port)

        _wait(ready, timeout, "redis-server")

    def _start_postgres(self, timeout: float) -> None:
        assert self.root is not None
        bindir = postgres_bin()
        assert bindir is not None
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        os.chmod(pwfile, 0o600)
        subprocess.run(
            self._as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.pg_data),
                    "-U",
                    DB_USER,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
        )
        pwfile.unlink()
        self._pg_ctl_start(timeout)
        env = dict(os.environ, PGPASSWORD=self.password)
        subprocess.run(
            [str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", DB_USER, DB_NAME],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=30,
        )

    def _pg_ctl_start(self, timeout: float) -> None:
        assert self.root is not None
        bindir = postgres_bin()
        assert bindir is not None
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-p {self.pg_port}",
                f"-c unix_socket_directories={self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=300",
                "-c shared_buffers=64MB",
            ]
        )
        subprocess.run(
            self._as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(self.pg_data),
                    "-l",
                    str(self.root / "postgres.log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout + 5,
        )
        self._pg_started = True

    def stop(self) -> None:
        if self._pg_started and self.root is not None:
            bindir = postgres_bin()
            try:
                if bindir is None:
                    raise OSError("PostgreSQL's programs are gone")
                subprocess.run(
                    self._as_postgres(
                        [str(bindir / "pg_ctl"), "-D", str(self.pg_data), "-m", "fast", "-w", "-t", "30", "stop"]
                    ),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=40,
                )
            except (subprocess.SubprocessError, OSError):
                self._kill_postgres()
            self._pg_started = False
        self.stop_redis()
        if self._own_root and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def _kill_postgres(self) -> None:
        """Last resort: SIGKILL the postmaster whose pid file is in our data directory."""
        try:
            pid = int((self.pg_data / "postmaster.pid").read_text().split()[0])
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass

    def __enter__(self) -> ScaleServices:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="本机临时的 PostgreSQL 和 Redis（扩展测试用）")
    parser.add_argument("command", choices=["install", "up"])
    args = parser.parse_args(argv)
    if args.command == "install":
        install()
        return 0
    services = ScaleServices().start()
    try:
        print("PostgreSQL 和 Redis 已在 127.0.0.1 启动，可用以下环境变量（Ctrl-C 停止并删除数据）：")
        for key, value in services.environment().items():
            print(f"export {key}={value}")
        print("export RASA_ENDPOINTS=endpoints.production.yml", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
