"""The throw-away PostgreSQL and Redis of scripts/scale_services.py: private servers on
free loopback ports, and nothing left behind once stopped (processes, ports, files)."""

from __future__ import annotations

import os
import socket

import pytest

from scripts.scale_services import ScaleServices

pytestmark = pytest.mark.scale


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_services_start_on_free_loopback_ports_and_leave_nothing_behind() -> None:
    services = ScaleServices().start()
    try:
        root = services.root
        assert root is not None and root.is_dir()
        assert listening(services.pg_port) and listening(services.redis_port)
        postmaster = int((services.pg_data / "postmaster.pid").read_text().split()[0])
        redis_pid = services._redis.pid
        connection = services.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW listen_addresses")
                assert cursor.fetchone()[0] == "127.0.0.1"
        finally:
            connection.close()
        assert services.redis().ping()
    finally:
        services.stop()
    assert not alive(postmaster) and not alive(redis_pid)
    assert not listening(services.pg_port) and not listening(services.redis_port)
    assert not root.exists()
    services.stop()  # idempotent
