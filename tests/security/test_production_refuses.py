"""The production profile does not start without a long action secret, and says why in one line."""
from __future__ import annotations

import os
import subprocess
import sys

from bot.internal_auth import MIN_LENGTH
from bot.ops import production
from bot.ops.production import Topology, production_settings
from tests.conftest import PROJECT_ROOT

PG = "postgresql+psycopg2://postgres@127.0.0.1:5432/luz_never_created"


def run_production(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("LUZ_ACTION_SECRET", "DATABASE_URL", "TRACKER_STORE_URL", "LUZ_CLOCK_OFFSET")}
    env.update({"PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": PG, "LUZ_RUN_DIR": str(tmp_path / "run"), **extra})
    return subprocess.run([sys.executable, "-m", "bot", "run", "--profile", "production"], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def secret_lines(stderr: str):
    return [line for line in stderr.splitlines() if "LUZ_ACTION_SECRET" in line]


def test_without_the_secret_production_refuses_to_start_with_one_clear_line(tmp_path):
    result = run_production(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(secret_lines(result.stderr)) == 1 and "not set" in result.stderr, result.stderr
    assert not (tmp_path / "run").exists()  # refused before rendering or starting anything


def test_a_short_secret_is_refused_too(tmp_path):
    result = run_production(tmp_path, LUZ_ACTION_SECRET="x" * (MIN_LENGTH - 1))
    assert result.returncode == 1
    [line] = secret_lines(result.stderr)
    assert f"at least {MIN_LENGTH}" in line and f"it has {MIN_LENGTH - 1}" in line, line


def test_a_long_secret_passes_that_check(tmp_path):
    """The control: with a long secret only another problem (here SQLite) stops it, and no secret line is said."""
    result = run_production(tmp_path, LUZ_ACTION_SECRET="s" * MIN_LENGTH, DATABASE_URL="sqlite:///" + str(tmp_path / "x.db"))
    assert result.returncode == 1 and "PostgreSQL" in result.stderr, result.stderr
    assert secret_lines(result.stderr) == []


def test_production_runs_closed_action_servers_and_no_rest_channel(tmp_path):
    settings = production_settings({"LUZ_ACTION_SECRET": "s" * MIN_LENGTH, "LUZ_RUN_DIR": str(tmp_path)})
    topology = Topology.from_settings(settings)
    files = production.render(settings, topology)
    endpoints = files["endpoints"].read_text()
    assert "X-Luz-Action-Secret: ${LUZ_ACTION_SECRET}" in endpoints and "s" * MIN_LENGTH not in endpoints
    children = production.children(settings, topology, files, PROJECT_ROOT / "models" / "luz.tar.gz")
    actions = [c for c in children if c.name.startswith("action server")]
    assert len(actions) == len(topology.action_ports)
    for child in actions:
        assert "action-server" in child.argv and child.argv[child.argv.index("--host") + 1] == "127.0.0.1"
        assert child.env["LUZ_ACTION_SECRET"] == "s" * MIN_LENGTH
    for child in [c for c in children if c.name.startswith("rasa server")]:
        credentials = child.argv[child.argv.index("--credentials") + 1]
        assert credentials == "credentials.yml"
        assert child.env["LUZ_ACTION_SECRET"] == "s" * MIN_LENGTH


def test_the_rest_channel_is_only_in_the_development_credentials():
    """The REST channel (channels/rest.py) takes the sender id as the customer's phone: never in the deployed file."""
    import yaml

    deployed = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text())
    development = yaml.safe_load((PROJECT_ROOT / "credentials.dev.yml").read_text())
    rest = "channels.rest.RestInput"
    assert not any("rest" in name.lower() for name in deployed) and rest in development
    assert set(deployed) == set(development) - {rest}  # otherwise the same channels
    dockerfile = (PROJECT_ROOT / "deploy" / "Dockerfile").read_text()
    assert "credentials.dev.yml" not in dockerfile


def test_a_moved_clock_is_refused_in_production(tmp_path):
    """LUZ_CLOCK_OFFSET is for tests and demos: in production customers would be told wrong times."""
    result = run_production(tmp_path, LUZ_ACTION_SECRET="s" * MIN_LENGTH, LUZ_CLOCK_OFFSET="3600")
    assert result.returncode == 1
    [line] = [line for line in result.stderr.splitlines() if "LUZ_CLOCK_OFFSET" in line]
    assert "tests and demos only" in line and not (tmp_path / "run").exists()
