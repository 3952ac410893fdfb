"""The production profile does not start with an unsafe configuration, and says why in one line each: the action
secret, the link and cookie secrets, the public address, the channels file, a moved clock, demo data."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from bot.internal_auth import MIN_LENGTH
from bot.ops import production
from bot.ops.production import Topology, production_settings
from bot.settings import DEV_SESSION_SECRET, DEV_SIGNING_SECRET
from tests.conftest import PROJECT_ROOT

PG = "postgresql+psycopg2://postgres@127.0.0.1:5432/luz_never_created"


def run_production(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("LUZ_ACTION_SECRET", "DATABASE_URL", "TRACKER_STORE_URL", "LUZ_CLOCK_OFFSET",
                        "LUZ_SIGNING_SECRET", "LUZ_SESSION_SECRET", "PUBLIC_BASE_URL", "LUZ_RASA_CREDENTIALS")}
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


# --- The link and cookie secrets, the public address, the channels, demo data (issue 18) ---

ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
SIGNING, SESSION = "l" * 40, "c" * 40


@pytest.fixture(scope="module")
def clean_database():
    """A migrated PostgreSQL database with no demo data, as `db setup` leaves it; dropped afterwards."""
    from sqlalchemy import text

    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade

    name = f"luz_refuses_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def safe_environment(database_url: str) -> dict:
    """Everything production asks for: with it, no problem is found (the control of every test below)."""
    return {"DATABASE_URL": database_url, "LUZ_ACTION_SECRET": "a" * MIN_LENGTH, "LUZ_SIGNING_SECRET": SIGNING,
            "LUZ_SESSION_SECRET": SESSION, "PUBLIC_BASE_URL": "https://luz.energiadelvalle.example"}


def test_a_safe_configuration_has_no_problem(clean_database):
    assert production.problems(production_settings(safe_environment(clean_database))) == []


@pytest.mark.parametrize("change, says", [
    ({"LUZ_SIGNING_SECRET": ""}, ["LUZ_SIGNING_SECRET", "development default"]),
    ({"LUZ_SIGNING_SECRET": DEV_SIGNING_SECRET}, ["LUZ_SIGNING_SECRET", "development default"]),
    ({"LUZ_SIGNING_SECRET": "short-but-not-default"}, ["LUZ_SIGNING_SECRET", "at least 32", "it has 21"]),
    ({"LUZ_SESSION_SECRET": ""}, ["LUZ_SESSION_SECRET", "session cookie", "development default"]),
    ({"LUZ_SESSION_SECRET": DEV_SESSION_SECRET}, ["LUZ_SESSION_SECRET", "development default"]),
    ({"LUZ_SESSION_SECRET": "x" * 31}, ["LUZ_SESSION_SECRET", "at least 32", "it has 31"]),
    ({"LUZ_SESSION_SECRET": SIGNING}, ["LUZ_SIGNING_SECRET and LUZ_SESSION_SECRET are the same"]),
    ({"PUBLIC_BASE_URL": "http://luz.energiadelvalle.example"}, ["PUBLIC_BASE_URL", "https://"]),
    ({"PUBLIC_BASE_URL": ""}, ["PUBLIC_BASE_URL", "http://localhost:8080"]),
    ({"LUZ_RASA_CREDENTIALS": "credentials.dev.yml"}, ["LUZ_RASA_CREDENTIALS", "REST channel", "channels.rest.RestInput"]),
], ids=["signing-unset", "signing-default", "signing-short", "session-unset", "session-default", "session-short",
        "one-secret-for-both", "http-base-url", "default-base-url", "rest-channel"])
def test_each_unsafe_setting_is_refused_with_one_line(clean_database, change, says):
    [line] = production.problems(production_settings({**safe_environment(clean_database), **change}))
    assert all(words in line for words in says), line


def test_rasas_own_rest_channel_is_refused_too(clean_database, tmp_path):
    credentials = tmp_path / "credentials.yml"
    credentials.write_text((PROJECT_ROOT / "credentials.yml").read_text() + "\nrest:\n")
    [line] = production.problems(production_settings({**safe_environment(clean_database),
                                                      "LUZ_RASA_CREDENTIALS": str(credentials)}))
    assert "REST channel (rest)" in line


def test_the_demo_people_and_the_demo_key_are_refused(clean_database):
    from bot.db.engine import create_engine
    from bot.ops.cli import _demo_agents

    engine = create_engine(clean_database)
    _demo_agents(engine)  # what `db setup --demo` adds besides the customers
    try:
        lines = production.problems(production_settings(safe_environment(clean_database)))
        assert len(lines) == 2, lines
        assert "demo console agents camila, diego, sofia" in lines[0] and "agent disable sofia" in lines[0]
        assert "demo API key luz-demo-api-key" in lines[1] and "apikey revoke luz-demo-api" in lines[1]
        # What the lines say to do is enough: disabled agents and a revoked key are no longer refused.
        for name in ("camila", "diego", "sofia"):
            assert bot_command(clean_database, "agent", "disable", name).returncode == 0
        assert bot_command(clean_database, "apikey", "revoke", "luz-demo-api").returncode == 0
        assert production.problems(production_settings(safe_environment(clean_database))) == []
    finally:
        engine.dispose()


def bot_command(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=120)


def test_an_unreachable_database_is_said_in_one_line():
    [line] = production.problems(production_settings({**safe_environment(PG), "DATABASE_URL": PG}))
    assert "DATABASE_URL cannot be reached to check for demo data" in line and "luz_never_created" in line


def test_the_command_refuses_every_unsafe_setting_at_once_one_line_each(tmp_path):
    """The operator's view: the dev defaults, plain http and the development channels file, each named once,
    and nothing rendered or started."""
    result = run_production(tmp_path, LUZ_ACTION_SECRET="a" * MIN_LENGTH, PUBLIC_BASE_URL="http://luz.example",
                            LUZ_RASA_CREDENTIALS="credentials.dev.yml", LUZ_SIGNING_SECRET="", LUZ_SESSION_SECRET="")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    for words in ("LUZ_SIGNING_SECRET signs", "LUZ_SESSION_SECRET signs", "PUBLIC_BASE_URL must be an https://",
                  "enables the REST channel", "DATABASE_URL cannot be reached"):
        assert len([line for line in lines if words in line]) == 1, (words, result.stderr)
    assert not (tmp_path / "run").exists()


def test_the_production_nginx_sends_hsts_and_a_csp_and_names_no_internal_port(tmp_path):
    settings = production_settings({**safe_environment(PG), "LUZ_RUN_DIR": str(tmp_path)})
    nginx = production.render(settings, Topology.from_settings(settings))["nginx"].read_text()
    assert 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;' in nginx
    csp = next(line for line in nginx.splitlines() if "Content-Security-Policy" in line)
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert "$upstream_addr always" not in nginx and "X-Upstream" not in nginx  # which replica: a log, not a header
    assert "server_tokens off;" in nginx
