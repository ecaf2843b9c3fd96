"""deploy/: what can be checked without containers or systemd on this machine.

Docker Compose is not installed here (and containers cannot run), so compose.yaml is checked
as YAML against what it must say: the services, their references, the files it mounts, and
settings that exist. The systemd units run real `canhgiac` commands with real settings, and
nginx itself checks the site the bench runs.
"""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.cli import main as cli
from bot.settings import Settings
from tests.cluster import SITE_CONFIG, free_port, nginx_binary, proxy_config

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
SETTING = re.compile(r"\b(CANHGIAC_[A-Z0-9_]+)")


def _known(name: str) -> bool:
    return name.removeprefix("CANHGIAC_").lower() in Settings.model_fields


def test_compose_file_names_its_services_and_what_they_need() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"postgres", "redis", "objects", "migrate", "serve", "worker", "proxy"} <= set(services)
    for name, service in services.items():
        for needed in service.get("depends_on", {}):
            assert needed in services, (name, needed)
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), source
            else:
                assert source in compose["volumes"], source
        for key in service.get("environment", {}):
            assert not key.startswith("CANHGIAC_") or _known(key), key
    assert services["serve"]["environment"]["CANHGIAC_RUN_WORKER"] == "false"
    assert services["migrate"]["command"] == ["canhgiac", "db", "upgrade"]
    assert services["serve"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (.+) \S+$", dockerfile, flags=re.M):
        for part in source.split():
            assert (DEPLOY.parent / part).exists(), part


def test_systemd_units_run_real_commands_with_real_settings() -> None:
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert {u.name for u in units} == {
        "canhgiac-serve@.service",
        "canhgiac-worker@.service",
        "canhgiac-migrate.service",
    }
    for unit in units:
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(unit, encoding="utf-8")
        command = parser["Service"]["ExecStart"].split()
        assert command[0] == "/opt/canhgiac/.venv/bin/canhgiac"
        group = cli
        for word in command[1:]:
            if word.startswith("-"):
                break
            group = group.commands[word]  # type: ignore[attr-defined]
        for name in SETTING.findall(unit.read_text(encoding="utf-8")):
            assert _known(name), (unit.name, name)
    for name in SETTING.findall((DEPLOY / "canhgiac.env.example").read_text(encoding="utf-8")):
        assert _known(name), name


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed")
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        proxy_config(
            SITE_CONFIG.read_text(encoding="utf-8"), listen=free_port(), upstreams=[8001], folder=tmp_path
        )
    )
    checked = subprocess.run(
        [binary, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
