"""The production profile on one machine: the same topology as deploy/, on the local services.

PostgreSQL for the records, the Rasa tracker store and the scheduler's jobs;
Redis as Rasa's lock store (one replica at a time per conversation); RabbitMQ
as Rasa's event broker, drained by the KPI consumer; several Rasa replicas and
action servers behind nginx. ``python -m bot run --profile production`` (what
``make run-prod`` calls) renders the configuration into ``var/prod`` and
supervises every process.
"""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence
from urllib.parse import urlparse

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot import internal_auth
from bot.ops.supervisor import Child, python
from bot.settings import (
    DEV_SESSION_SECRET,
    DEV_SIGNING_SECRET,
    LUZ_ACTION_SECRET,
    LUZ_CLOCK_OFFSET,
    LUZ_EVENTS_QUEUE,
    LUZ_RASA_CREDENTIALS,
    LUZ_SESSION_SECRET,
    LUZ_SIGNING_SECRET,
    LUZ_WIDGET_API_URL,
    LUZ_WIDGET_ORIGINS,
    PROJECT_ROOT,
    PUBLIC_BASE_URL,
    RABBITMQ_URL,
    Settings,
)

TEMPLATES = PROJECT_ROOT / "deploy" / "templates"
DEPLOYED_CREDENTIALS = "credentials.yml"  # Rasa's channels in production: WhatsApp, SMS, Telegram; never REST
MIN_SECRET_LENGTH = 32
MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


@dataclass(frozen=True)
class Topology:
    rasa_ports: List[int]
    action_ports: List[int]
    web_port: int
    public_port: int
    action_proxy_port: int
    redis_url: str
    rabbitmq_url: str
    queue: str
    run_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> Topology:
        return cls(
            rasa_ports=[settings.rasa_port + i for i in range(settings.rasa_replicas)],
            action_ports=[settings.action_port + i for i in range(settings.action_replicas)],
            web_port=settings.web_port,
            public_port=settings.public_port,
            action_proxy_port=settings.action_proxy_port,
            redis_url=str(settings.redis_url),
            rabbitmq_url=str(settings.rabbitmq_url),
            queue=settings.events_queue,
            run_dir=settings.run_dir,
        )


def _render(name: str, out: Path, **values) -> Path:
    environment = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, keep_trailing_newline=True)
    out.write_text(environment.get_template(name).render(**values), encoding="utf-8")
    return out


def render(settings: Settings, topology: Topology) -> Dict[str, Path]:
    """Writes Rasa's endpoints and nginx's configuration for this topology."""
    topology.run_dir.mkdir(parents=True, exist_ok=True)
    redis, rabbit = urlparse(topology.redis_url), urlparse(topology.rabbitmq_url)
    return {
        "endpoints": _render(
            "endpoints.yml.j2", topology.run_dir / "endpoints.yml",
            action_url=f"http://127.0.0.1:{topology.action_proxy_port}/webhook",
            tracker_store_url=settings.tracker_store_url,
            redis={"host": redis.hostname or "127.0.0.1", "port": redis.port or 6379,
                   "db": int((redis.path or "/0").strip("/") or 0), "password": redis.password or ""},
            rabbit={"host": rabbit.hostname or "127.0.0.1", "port": rabbit.port or 5672,
                    "user": rabbit.username or "guest", "password": rabbit.password or "guest"},
            queue=topology.queue),
        "nginx": _render(
            "nginx.conf.j2", topology.run_dir / "nginx.conf", run_dir=topology.run_dir,
            rasa_ports=topology.rasa_ports, action_ports=topology.action_ports, web_port=topology.web_port,
            public_port=topology.public_port, action_port=topology.action_proxy_port),
    }


def problems(settings: Settings) -> List[str]:
    """What keeps the production profile from starting, in words an operator can act on."""
    found = []
    if settings.database_url.startswith("sqlite"):
        found.append("DATABASE_URL must point at PostgreSQL (e.g. postgresql+psycopg2://luz@127.0.0.1:5432/luz)")
    if settings.tracker_store_url.startswith("sqlite"):
        found.append("TRACKER_STORE_URL must point at PostgreSQL (it defaults to DATABASE_URL in this profile)")
    secret = str(settings.action_secret)
    if len(secret) < internal_auth.MIN_LENGTH:
        state = f"it has {len(secret)}" if secret else "it is not set"
        found.append(f"{LUZ_ACTION_SECRET} must be at least {internal_auth.MIN_LENGTH} random characters ({state}): "
                     "Rasa sends it and the action servers refuse calls without it "
                     "(make one: python -c 'import secrets; print(secrets.token_urlsafe(32))')")
    found += _secret_problems(settings)
    if not settings.public_base_url.startswith("https://"):
        found.append(f"{PUBLIC_BASE_URL} must be an https:// address (it is {settings.public_base_url}): customers' "
                     "document links and Twilio's signatures use it, and the console's cookie is sent only over https")
    found += _credentials_problems(settings.rasa_credentials or DEPLOYED_CREDENTIALS)
    if settings.clock_offset_seconds:
        found.append(f"{LUZ_CLOCK_OFFSET} moves the product's clock, for tests and demos only: unset it "
                     "(production tells customers the real time)")
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        found.append("nginx is not installed: apt-get install nginx-light (scripts/ensure_package.sh)")
    if not settings.database_url.startswith("sqlite"):
        found += demo_data_problems(settings.database_url)
    return found


def _secret_problems(settings: Settings) -> List[str]:
    """The link and cookie secrets: each long, not the development default, and not the same."""
    found = []
    secrets = ((LUZ_SIGNING_SECRET, str(settings.signing_secret), "signs customers' document links"),
               (LUZ_SESSION_SECRET, str(settings.session_secret), "signs the console's session cookie"))
    for name, value, what in secrets:
        if value in (DEV_SIGNING_SECRET, DEV_SESSION_SECRET):
            state = "it is unset or the development default, which bot/settings.py publishes"
            found.append(f"{name} {what}: set it to at least {MIN_SECRET_LENGTH} random characters ({state}; "
                         f"make one: {MAKE_SECRET})")
        elif len(value) < MIN_SECRET_LENGTH:
            found.append(f"{name} {what}: it must be at least {MIN_SECRET_LENGTH} random characters (it has "
                         f"{len(value)}; make one: {MAKE_SECRET})")
    signing, session = str(settings.signing_secret), str(settings.session_secret)
    if signing == session and signing not in (DEV_SIGNING_SECRET, DEV_SESSION_SECRET):
        found.append(f"{LUZ_SIGNING_SECRET} and {LUZ_SESSION_SECRET} are the same: give each its own value "
                     "(one leaked secret must not forge both document links and console sessions)")
    return found


def rest_channels(credentials: Mapping) -> List[str]:
    """Entries of a Rasa credentials file that are a REST channel (Rasa's ``rest`` or ``channels.rest.RestInput``)."""
    return [str(name) for name in credentials
            if str(name).lower() == "rest" or str(name).split(".")[-1] == "RestInput" or ".rest." in f".{name}."]


def _credentials_problems(path: str) -> List[str]:
    file = Path(path) if Path(path).is_absolute() else PROJECT_ROOT / path
    try:
        credentials = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        return [f"{LUZ_RASA_CREDENTIALS} names {path}, which cannot be read ({error.__class__.__name__})"]
    rest = rest_channels(credentials if isinstance(credentials, dict) else {})
    if rest:
        return [f"{LUZ_RASA_CREDENTIALS} ({path}) enables the REST channel ({', '.join(rest)}), which takes the sender id "
                f"as the customer's phone: use {DEPLOYED_CREDENTIALS} (WhatsApp, SMS and Telegram only)"]
    return []


def demo_data_problems(database_url: str, usernames: Optional[Sequence[str]] = None,
                       api_key: Optional[str] = None) -> List[str]:
    """The demo agents (known passwords, a supervisor) and the demo API key, if the database has them."""
    from sqlalchemy import bindparam, create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from bot.demo.customers import DEMO_AGENTS, DEMO_API_KEY

    usernames = list(usernames or [agent.username for agent in DEMO_AGENTS])
    key_hash = hashlib.sha256((api_key or DEMO_API_KEY).encode()).hexdigest()
    engine = create_engine(database_url, future=True, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            tables = set(connection.dialect.get_table_names(connection))
            agents: List[str] = []
            key: List[int] = []
            if "agents" in tables:
                agents = list(connection.execute(
                    text("SELECT username FROM agents WHERE active AND username IN :names ORDER BY username")
                    .bindparams(bindparam("names", expanding=True)), {"names": usernames}).scalars())
            if "api_keys" in tables:
                key = list(connection.execute(text("SELECT id FROM api_keys WHERE key_hash = :h AND revoked_at IS NULL"),
                                         {"h": key_hash}).scalars())
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0] if str(error).strip() else error.__class__.__name__
        return [f"DATABASE_URL cannot be reached to check for demo data ({reason})"]
    finally:
        engine.dispose()
    found = []
    if agents:
        found.append(f"the database has the demo console agents {', '.join(agents)} (published passwords): "
                     + "; ".join(f"python -m bot agent disable {name}" for name in agents))
    if key:
        found.append(f"the database has the demo API key {DEMO_API_KEY} (published): "
                     f"python -m bot apikey revoke {DEMO_API_KEY[:12]}")
    return found


def children(settings: Settings, topology: Topology, files: Dict[str, Path], model: Path) -> List[Child]:
    env = {**settings.rasa_environment(), "PUBLIC_BASE_URL": settings.public_base_url,
           # the website widget as this profile sees it: its channel on the public host, pages of its origins
           LUZ_WIDGET_API_URL: settings.widget_api_url, LUZ_WIDGET_ORIGINS: ",".join(settings.widget_origins)}
    rasa = str(Path(python()).with_name("rasa"))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    processes = [
        Child(f"action server {port}", [python(), "-m", "bot", "action-server", "--port", str(port), "--host", "127.0.0.1"],
              f"http://127.0.0.1:{port}/health", env=env)
        for port in topology.action_ports
    ]
    processes += [
        Child(f"rasa server {port}", [rasa, "run", "--model", str(model), "--endpoints", str(files["endpoints"]),
                                      "--credentials", settings.rasa_credentials or "credentials.yml",  # no REST channel
                                      "--port", str(port),  # no --enable-api: no HTTP API to post as anyone
                                      "--interface", "127.0.0.1"],  # only nginx reaches them
              f"http://127.0.0.1:{port}/", env=env)
        for port in topology.rasa_ports
    ]
    processes += [
        Child("web service", [python(), "-m", "uvicorn", "bot.web.app:create_app", "--factory", "--host", "127.0.0.1",
                              "--port", str(topology.web_port), "--no-access-log", "--ws", "wsproto",
                              "--timeout-graceful-shutdown", "5", "--proxy-headers"],
              f"http://127.0.0.1:{topology.web_port}/health", env=env),
        Child("kpi consumer", [python(), "-m", "bot", "kpi-consumer"], None,
              env={**env, RABBITMQ_URL: topology.rabbitmq_url, LUZ_EVENTS_QUEUE: topology.queue}),
        Child("nginx", [nginx, "-c", str(files["nginx"]), "-g", "daemon off;"],
              f"http://127.0.0.1:{topology.public_port}/health", env=env),
    ]
    return processes


def production_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Settings with the profile's defaults: the tracker store in the records database, public URL on nginx."""
    return Settings.from_environ(env, production=True)
