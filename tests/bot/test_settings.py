"""Configuration is read in one place: bot/settings.py, from a mapping tests can pass."""
from __future__ import annotations

import ast

from bot.settings import Settings
from tests.source import offenders

# Where the environment may be touched, and why.
ALLOWED = {
    "bot/settings.py": "the one reader",
    "bot/ops/supervisor.py": "passes the environment on, unread, to the processes it starts",
    "scripts/bench.py": "a tool: builds the environments of the processes it measures",
    "scripts/storm.py": "a tool: builds the environments of the processes it measures",
}


def _reads_of_the_environment(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"} or isinstance(node, ast.ImportFrom) and node.module == "os" and {
                alias.name for alias in node.names} & {"environ", "getenv"}:
            yield node.lineno


def test_no_module_reads_the_environment_but_settings():
    assert offenders(_reads_of_the_environment, ALLOWED) == [], "add a field to bot.settings.Settings and pass it in"


def test_the_guard_finds_a_read_of_the_environment():
    code = "import os\na = os.environ['X']\nb = os.getenv('Y')\nfrom os import environ\n"
    assert sorted(_reads_of_the_environment(ast.parse(code))) == [2, 3, 4]


def test_provider_and_broker_settings_come_from_the_mapping_and_secrets_never_print():
    settings = Settings.from_environ({
        "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "twilio-token", "TWILIO_WHATSAPP_FROM": "whatsapp:+571",
        "TWILIO_SMS_FROM": "+572", "TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_SECRET": "tg-hook-secret",
        "RABBITMQ_URL": "amqp://luz:pw@broker:5672/", "LUZ_EVENTS_QUEUE": "kpis", "LUZ_AGENT_PASSWORD": "s3cret-pw",
    })
    assert (settings.twilio_account_sid, settings.twilio_whatsapp_from, settings.twilio_sms_from) == (
        "AC1", "whatsapp:+571", "+572")
    assert str(settings.twilio_auth_token) == "twilio-token" and str(settings.telegram_bot_token) == "123:abc"
    assert str(settings.rabbitmq_url) == "amqp://luz:pw@broker:5672/" and settings.events_queue == "kpis"
    shown = repr(settings)
    for secret in ("twilio-token", "123:abc", "tg-hook-secret", "luz:pw", "s3cret-pw"):
        assert secret not in shown


def test_the_production_profile_keeps_records_and_conversations_in_postgresql_behind_nginx():
    settings = Settings.from_environ({"LUZ_PUBLIC_PORT": "9090"}, production=True)
    assert settings.database_url.startswith("postgresql") and settings.tracker_store_url == settings.database_url
    assert settings.public_base_url == "http://localhost:9090"
    development = Settings.from_environ({})
    assert development.database_url.startswith("sqlite") and development.public_base_url == "http://localhost:8000"


def test_the_widget_origins_are_a_list_of_origins_with_the_public_address_by_default():
    listed = Settings.from_environ({"LUZ_WIDGET_ORIGINS": "https://www.energiadelvalle.com.co/inicio, HTTPS://Clientes.example:8443 "
                                                          "not-a-url"})
    assert listed.widget_origins == ("https://www.energiadelvalle.com.co", "https://clientes.example:8443")
    production = Settings.from_environ({"PUBLIC_BASE_URL": "https://luz.energiadelvalle.com.co"}, production=True)
    assert production.widget_origins == ("https://luz.energiadelvalle.com.co",)
    assert production.widget_api_url == "https://luz.energiadelvalle.com.co/webhooks/web"
    development = Settings.from_environ({"WEB_PORT": "8000", "RASA_PORT": "5005"})
    assert development.widget_origins == ("http://localhost:8000", "http://127.0.0.1:8000")
    assert development.widget_api_url == "http://127.0.0.1:5005/webhooks/web"
