"""The production profile on one machine: the same topology as deploy/, on the local services.

PostgreSQL for the records, the Rasa tracker store and the scheduler's jobs;
Redis as Rasa's lock store (one replica at a time per conversation); RabbitMQ
as Rasa's event broker, drained by the KPI consumer; several Rasa replicas and
action servers behind nginx. ``python -m bot run --profile production`` (what
``make run-prod`` calls) renders the configuration into ``var/prod`` and
supervises every process.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot import internal_auth
from bot.ops.supervisor import Child, python
from bot.settings import LUZ_ACTION_SECRET, LUZ_CLOCK_OFFSET, LUZ_EVENTS_QUEUE, PROJECT_ROOT, RABBITMQ_URL, Settings

TEMPLATES = PROJECT_ROOT / "deploy" / "templates"


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
    if settings.clock_offset_seconds:
        found.append(f"{LUZ_CLOCK_OFFSET} moves the product's clock, for tests and demos only: unset it "
                     "(production tells customers the real time)")
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        found.append("nginx is not installed: apt-get install nginx-light (scripts/ensure_package.sh)")
    return found


def children(settings: Settings, topology: Topology, files: Dict[str, Path], model: Path) -> List[Child]:
    env = {**settings.rasa_environment(), "PUBLIC_BASE_URL": settings.public_base_url}
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
                                      "--enable-api", "--port", str(port),
                                      "--interface", "127.0.0.1"],  # only nginx reaches them
              f"http://127.0.0.1:{port}/status", env=env)
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
