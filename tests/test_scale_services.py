"""scripts/scale_services.py without installing anything: `install` is idempotent, waits
for a busy apt instead of failing, and does not leave system-wide PostgreSQL/Redis
services running after installing the packages."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts import scale_services


def test_install_is_a_no_op_when_both_are_installed(monkeypatch, capsys) -> None:
    monkeypatch.setattr(scale_services, "missing_packages", lambda: [])
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("apt-get must not run"))
    scale_services.install()
    assert "已安装" in capsys.readouterr().out


def test_install_denies_service_starts_while_apt_runs(monkeypatch, tmp_path: Path) -> None:
    policy = tmp_path / "policy-rc.d"
    monkeypatch.setattr(scale_services, "POLICY_RC_D", policy)
    monkeypatch.setattr(scale_services.os, "geteuid", lambda: 0)
    state = {"missing": ["postgresql", "redis-server"]}
    monkeypatch.setattr(scale_services, "missing_packages", lambda: list(state["missing"]))
    calls = []

    def fake_run(args, **kwargs):
        calls.append(list(args))
        # while apt runs, every service start is denied (Debian's policy-rc.d, exit 101)
        assert policy.exists() and "exit 101" in policy.read_text()
        assert kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"
        if "install" in args:
            state["missing"] = []
        return subprocess.CompletedProcess(args, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    scale_services.install()
    assert [c[0] for c in calls] == ["apt-get", "apt-get"]
    assert all(any(a.startswith("DPkg::Lock::Timeout=") for a in c) for c in calls)
    assert calls[1][-2:] == ["postgresql", "redis-server"]
    assert not policy.exists()  # removed again


def test_an_existing_policy_is_left_alone(monkeypatch, tmp_path: Path) -> None:
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    monkeypatch.setattr(scale_services, "POLICY_RC_D", policy)
    with scale_services._no_service_starts():
        pass
    assert policy.read_text() == "#!/bin/sh\nexit 101\n"


def test_install_without_root_says_what_to_run(monkeypatch) -> None:
    monkeypatch.setattr(scale_services, "missing_packages", lambda: ["redis-server"])
    monkeypatch.setattr(scale_services.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit, match="apt-get install -y postgresql redis-server"):
        scale_services.install()
