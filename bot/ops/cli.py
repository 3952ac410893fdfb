"""``python -m bot``: the operator's commands.

    db upgrade        apply migrations
    db seed           fill an empty database with demo data (customers, agents, the demo API key)
    db setup [--demo] upgrade; with --demo, then seed when empty (what `make run` does); never demo data without it
    run               start the action server, the Rasa server and the web service, supervised
    action-server [--port N] [--host H]   the action server alone (needs LUZ_ACTION_SECRET)
    chat --phone N    talk to the running assistant as that phone
    telegram set-webhook | poll   register Telegram's webhook, or poll in development
    agent add|list|passwd|disable|cap   console accounts (password asked, or LUZ_AGENT_PASSWORD); cap --max-open N
    apikey create NAME | list | revoke PREFIX   keys of the integration API
    webhook add NAME URL [--events E,F] | list | revoke NAME   systems told of events by signed POSTs
    report --month YYYY-MM [--out reports]       the monthly service report (HTML and PDF)
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import List, Optional

from bot.settings import PROJECT_ROOT, Settings, get_settings

MODEL = PROJECT_ROOT / "models" / "luz.tar.gz"
# Rasa's channels. The development file adds the REST channel, which takes the sender id as the customer's
# phone (terminal chat, tests); only `python -m bot run` in the embedded profile uses it.
DEV_CREDENTIALS = "credentials.dev.yml"


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.db.engine import create_engine
    from bot.db.migrate import upgrade
    from bot.demo import seed

    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    if args.db_command in ("upgrade", "setup"):
        upgrade(settings.database_url)
        print("Base de datos al día (migraciones aplicadas).")
    if args.db_command == "setup" and not args.demo:
        print("Sin datos de demostración (para sembrarlos: python -m bot db setup --demo).")
        return 0
    if args.db_command in ("seed", "setup"):
        engine = create_engine(settings.database_url)
        if args.db_command == "setup" and not seed.is_empty(engine):
            print("La base de datos ya tiene clientes: no se siembra de nuevo.")
            return 0
        report = seed.seed(engine, seed=settings.seed, customers=args.customers, timezone=settings.timezone)
        _demo_agents(engine)
        from bot.demo.history import seed_history

        seed_history(engine, seed=settings.seed, timezone=settings.timezone)
        print(
            f"Datos de demostración: {report.customers} clientes, {report.accounts} suministros, "
            f"{report.bills} facturas, {report.complaints} reclamos."
        )
        engine.dispose()
    return 0


def _demo_agents(engine) -> None:
    from bot.db import models as m
    from bot.db.engine import session_scope
    from bot.demo.customers import DEMO_AGENTS, DEMO_API_KEY
    from bot.web.api import create_key
    from bot.web.console.auth import create_agent

    with session_scope(engine) as session:
        for demo in DEMO_AGENTS:
            create_agent(session, demo.username, demo.full_name, demo.password, m.AgentRole(demo.role))
        create_key(session, "demo", DEMO_API_KEY)


def _agent(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from sqlalchemy import select

    from bot.db import models as m
    from bot.db.engine import engine_for, session_scope
    from bot.web.console.auth import change_password, create_agent, revoke_sessions

    def password() -> str:
        return str(settings.agent_password) or getpass.getpass("Contraseña (mínimo 8 caracteres): ")

    with session_scope(engine_for(settings.database_url)) as session:
        if args.agent_command == "list":
            for agent in session.execute(select(m.Agent).order_by(m.Agent.username)).scalars():
                state = "activo" if agent.active else "inactivo"
                cap = agent.max_open if agent.max_open is not None else settings.agent_max_open
                print(f"{agent.username:<20} {agent.full_name:<30} {agent.role.value:<11} {state:<9} máx. {cap}")
            return 0
        if not args.username:
            print("Indica el usuario.", file=sys.stderr)
            return 2
        username = args.username.strip().lower()
        agent = session.execute(select(m.Agent).where(m.Agent.username == username)).scalar_one_or_none()
        if args.agent_command == "add":
            if agent is not None:
                print(f"Ya existe el usuario {username}.", file=sys.stderr)
                return 1
            try:
                create_agent(session, username, args.name or username, password(), m.AgentRole(args.role))
            except ValueError as error:
                print(f"No se creó: {error}.", file=sys.stderr)
                return 1
            print(f"Usuario {username} creado ({args.role}).")
            return 0
        if agent is None:
            print(f"No existe el usuario {username}.", file=sys.stderr)
            return 1
        if args.agent_command == "cap":  # the agent's own cap of open conversations (bot/assignment.py)
            agent.max_open = args.max_open or None
            shown = agent.max_open if agent.max_open is not None else f"{settings.agent_max_open} (LUZ_AGENT_MAX_OPEN)"
            print(f"{username}: hasta {shown} conversaciones abiertas a la vez.")
            return 0
        if args.agent_command == "passwd":
            new = password()
            if len(new) < 8:
                print("La contraseña debe tener al menos 8 caracteres.", file=sys.stderr)
                return 1
            change_password(agent, new)  # also signs them out everywhere
            print(f"Contraseña de {username} cambiada; sus sesiones abiertas se cerraron.")
        else:
            agent.active = False
            revoke_sessions(agent)
            print(f"Usuario {username} desactivado.")
    return 0


def _apikey(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from bot.db import models as m
    from bot.db.engine import engine_for, session_scope
    from bot.web.api import create_key

    with session_scope(engine_for(settings.database_url)) as session:
        if args.apikey_command == "create":
            if not args.name:
                print("Indica un nombre para la clave (el sistema que la usará).", file=sys.stderr)
                return 2
            key = create_key(session, args.name)
            print(f"Clave para {args.name} (se muestra solo esta vez):\n{key}")
        elif args.apikey_command == "list":
            for row in session.execute(select(m.ApiKey).order_by(m.ApiKey.id)).scalars():
                state = "revocada" if row.revoked_at else "activa"
                print(f"{row.prefix}…  {row.name:<30} {state}  último uso: {row.last_used_at or '—'}")
        else:
            rows = session.execute(select(m.ApiKey).where(m.ApiKey.prefix == (args.name or ""))).scalars().all()
            if not rows:
                print("No hay una clave con ese prefijo.", file=sys.stderr)
                return 1
            for row in rows:
                row.revoked_at = m.utcnow()
            print("Clave revocada.")
    return 0


def _webhook(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import select

    from bot import webhooks
    from bot.db import models as m
    from bot.db.engine import engine_for, session_scope

    with session_scope(engine_for(settings.database_url)) as session:
        if args.webhook_command == "add":
            if not args.name or not args.url:
                print("Indica un nombre y la URL que recibirá los eventos.", file=sys.stderr)
                return 2
            try:
                subscriber, secret = webhooks.add_subscriber(session, args.name, args.url, args.events)
            except ValueError as error:
                print(str(error), file=sys.stderr)
                return 2
            print(f"Webhook {subscriber.name} -> {subscriber.url} ({subscriber.events}).\n"
                  f"Secreto para verificar X-Luz-Signature (se muestra solo esta vez):\n{secret}")
        elif args.webhook_command == "list":
            for row in session.execute(select(m.WebhookSubscriber).order_by(m.WebhookSubscriber.id)).scalars():
                state = "revocado" if row.revoked_at else "activo"
                print(f"{row.name:<24} {row.url:<50} {row.events:<40} {state}")
        else:
            row = session.execute(select(m.WebhookSubscriber).where(m.WebhookSubscriber.name == (args.name or ""))).scalar_one_or_none()
            if row is None:
                print("No hay un webhook con ese nombre.", file=sys.stderr)
                return 1
            row.revoked_at = m.utcnow()
            print("Webhook revocado: no recibirá más eventos.")
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    from bot import kpis
    from bot.db.engine import engine_for, session_scope
    from bot.web.report import month_range, write_report

    try:
        start, end = month_range(args.month)
    except ValueError:
        print("Indica el mes como AAAA-MM, por ejemplo 2026-11.", file=sys.stderr)
        return 2
    with session_scope(engine_for(settings.database_url)) as session:
        figures = kpis.compute(session, start, end, settings.timezone, args.channel, "day")
    for path in write_report(figures, args.month, Path(args.out)):
        print(f"Escrito {path}")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot import internal_auth
    from bot.ops.supervisor import Child, Supervisor, python
    from bot.settings import LUZ_ACTION_SECRET

    if not MODEL.exists():
        print(f"No hay modelo entrenado en {MODEL}. Ejecuta `make run` (entrena si hace falta).", file=sys.stderr)
        return 1
    if args.profile == "production":
        return _run_production()
    rasa = str(Path(python()).with_name("rasa"))
    shared_env = settings.rasa_environment()
    # Rasa sends it on every call and the action server refuses calls without it: one per run unless set.
    internal_env = {**shared_env, LUZ_ACTION_SECRET: str(settings.action_secret) or internal_auth.generate()}
    children = [
        Child(
            "action server",
            [python(), "-m", "bot", "action-server", "--port", str(settings.action_port), "--host", "127.0.0.1"],
            f"http://127.0.0.1:{settings.action_port}/health",
            env=internal_env,
        ),
        Child(
            "rasa server",
            [
                rasa, "run", "--model", str(MODEL), "--endpoints", "endpoints.yml",
                # no --enable-api: Rasa's HTTP API would let any local caller post as any sender
                "--credentials", settings.rasa_credentials or DEV_CREDENTIALS,
                "--port", str(settings.rasa_port), "--interface", settings.rasa_interface,
            ],
            f"http://127.0.0.1:{settings.rasa_port}/",  # Rasa listens once its model is loaded
            env=internal_env,
        ),
        Child(
            "web service",
            [python(), "-m", "uvicorn", "bot.web.app:create_app", "--factory", "--host", settings.web_interface,
             "--port", str(settings.web_port), "--no-access-log", "--ws", "wsproto",
             "--timeout-graceful-shutdown", "5"],  # open console streams must not hold a stop
            f"http://127.0.0.1:{settings.web_port}/health",
            env=shared_env,
        ),
    ]

    def ready() -> None:
        print(
            "\nLuz está lista.\n"
            f"  Chat en la terminal:   make chat PHONE=+573001234501\n"
            f"  REST:                  curl -s localhost:{settings.rasa_port}/webhooks/rest/webhook "
            "-d '{\"sender\": \"+573001234501\", \"message\": \"cuánto debo\"}'\n"
            f"  Consola de asesores:   http://localhost:{settings.web_port}/console  (camila / camila-demo)\n"
            "  Detener:               Ctrl-C\n",
            flush=True,
        )

    return Supervisor(children, cwd=str(PROJECT_ROOT)).run(on_ready=ready)


def _run_production() -> int:
    from bot.db.migrate import upgrade
    from bot.ops import production
    from bot.ops.supervisor import Supervisor

    settings = production.production_settings()
    found = production.problems(settings)
    if found:
        print("El perfil de producción no puede arrancar:\n  - " + "\n  - ".join(found), file=sys.stderr)
        return 1
    upgrade(settings.database_url)
    topology = production.Topology.from_settings(settings)
    files = production.render(settings, topology)
    children = production.children(settings, topology, files, MODEL)

    def ready() -> None:
        print(f"\nLuz (producción) está lista en http://localhost:{topology.public_port} "
              f"({len(topology.rasa_ports)} réplicas de Rasa, {len(topology.action_ports)} servidores de acciones, "
              "nginx, PostgreSQL, Redis, RabbitMQ). Detener: Ctrl-C\n", flush=True)

    return Supervisor(children, cwd=str(PROJECT_ROOT), ready_timeout=420).run(on_ready=ready)


def _action_server(args: argparse.Namespace, settings: Settings) -> int:
    from bot.rasa_plugins.action_server import run

    return run(args.port or settings.action_port, args.host, str(settings.action_secret))


def _kpi_consumer(args: argparse.Namespace, settings: Settings) -> int:
    from bot.rasa_plugins.kpi_consumer import main as consume

    return consume(settings)


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.ops.chat import chat

    chat(f"http://127.0.0.1:{settings.rasa_port}", args.phone)
    return 0


def _telegram(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.ops import telegram_tools

    if args.telegram_command == "set-webhook":
        print(f"Webhook de Telegram: {asyncio.run(telegram_tools.set_webhook(settings))}")
    else:
        count = asyncio.run(telegram_tools.poll(settings, once=args.once))
        print(f"{count} actualizaciones reenviadas.")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Luz: servicios del asistente")
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="base de datos de registros")
    db.add_argument("db_command", choices=["upgrade", "seed", "setup"])
    db.add_argument("--customers", type=int, default=2000, help="clientes a generar (seed)")
    db.add_argument("--demo", action="store_true",
                    help="setup: siembra los datos de demostración (asesores y clave de API conocidos) si está vacía")
    run = commands.add_parser("run", help="inicia el servidor de acciones, el servidor Rasa y el servicio web")
    run.add_argument("--profile", choices=["embedded", "production"], default="embedded",
                     help="production: PostgreSQL, Redis, RabbitMQ, réplicas tras nginx (bot/ops/production.py)")
    action = commands.add_parser("action-server", help="el servidor de acciones solo (pide LUZ_ACTION_SECRET)")
    action.add_argument("--port", type=int, default=None, help="puerto (ACTION_PORT por omisión)")
    action.add_argument("--host", default="127.0.0.1", help="interfaz (0.0.0.0 solo en un contenedor)")
    commands.add_parser("kpi-consumer", help="lleva los eventos de Rasa (RabbitMQ) a los indicadores")
    chat = commands.add_parser("chat", help="chatea con el asistente en la terminal")
    chat.add_argument("--phone", default="+573001234501", help="teléfono del cliente (E.164)")
    telegram = commands.add_parser("telegram", help="webhook de Telegram o sondeo en desarrollo")
    telegram.add_argument("telegram_command", choices=["set-webhook", "poll"])
    telegram.add_argument("--once", action="store_true", help="reenvía lo pendiente y termina")
    agent = commands.add_parser("agent", help="cuentas de la consola de asesores")
    agent.add_argument("agent_command", choices=["add", "list", "passwd", "disable", "cap"])
    agent.add_argument("username", nargs="?")
    agent.add_argument("--name", help="nombre completo")
    agent.add_argument("--role", choices=["agent", "supervisor"], default="agent")
    agent.add_argument("--max-open", type=int, default=None,
                       help="cap: conversaciones abiertas a la vez (0 o nada: el de LUZ_AGENT_MAX_OPEN)")
    apikey = commands.add_parser("apikey", help="claves de la API de integración")
    apikey.add_argument("apikey_command", choices=["create", "list", "revoke"])
    apikey.add_argument("name", nargs="?", help="nombre (create) o prefijo (revoke)")
    webhook = commands.add_parser("webhook", help="sistemas que reciben los eventos por POST firmado")
    webhook.add_argument("webhook_command", choices=["add", "list", "revoke"])
    webhook.add_argument("name", nargs="?", help="nombre del sistema (add, revoke)")
    webhook.add_argument("url", nargs="?", help="URL https que recibe los eventos (add)")
    webhook.add_argument("--events", default="*", help="eventos separados por comas (por omisión, todos)")
    report = commands.add_parser("report", help="informe mensual del servicio (HTML y PDF)")
    report.add_argument("--month", required=True, help="AAAA-MM")
    report.add_argument("--out", default="reports", help="carpeta de salida")
    report.add_argument("--channel", choices=["whatsapp", "sms", "telegram", "web"], help="solo un canal")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    handlers = {"db": _db, "run": _run, "chat": _chat, "telegram": _telegram, "agent": _agent, "apikey": _apikey, "webhook": _webhook, "report": _report,
                "kpi-consumer": _kpi_consumer, "action-server": _action_server}
    return handlers[args.command](args, settings)
