"""Configuration, read once from environment variables with working defaults.

This is the only module that reads configuration from the environment: every other module receives a
``Settings`` (from its caller, or ``get_settings()`` at start-up) and never calls ``os.environ``. The one
other use passes it on unread: ``bot/ops/supervisor.py`` gives the processes it starts the environment
plus what ``Settings.rasa_environment`` (or the production profile) adds. Every variable name is a constant here, so a grep finds
every knob. Build a ``Settings`` from any mapping (``Settings.from_environ({...})``) so tests pass a
dict instead of patching ``os.environ``; secrets are ``Secret`` so they never print.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DATABASE_URL = "DATABASE_URL"
LUZ_TIMEZONE = "LUZ_TIMEZONE"
LUZ_DEFAULT_REGION = "LUZ_DEFAULT_REGION"
LUZ_COMPLAINT_DEADLINE_DAYS = "LUZ_COMPLAINT_DEADLINE_DAYS"
LUZ_SEED = "LUZ_SEED"
LUZ_SIGNING_SECRET = "LUZ_SIGNING_SECRET"  # signs document links (bot/links.py)
LUZ_SESSION_SECRET = "LUZ_SESSION_SECRET"  # signs the console's session cookie (bot/web/app.py)
PUBLIC_BASE_URL = "PUBLIC_BASE_URL"
LUZ_AGENT_PHONE = "LUZ_AGENT_PHONE"
TRACKER_STORE_URL = "TRACKER_STORE_URL"
ACTION_SERVER_URL = "ACTION_SERVER_URL"
RASA_PORT = "RASA_PORT"
RASA_INTERFACE = "RASA_INTERFACE"
ACTION_PORT = "ACTION_PORT"
WEB_PORT = "WEB_PORT"
LUZ_PAYMENT_URL = "LUZ_PAYMENT_URL"
LUZ_AGENT_HOURS = "LUZ_AGENT_HOURS"
LUZ_AGENT_DAYS = "LUZ_AGENT_DAYS"
LUZ_HANDLE_MINUTES = "LUZ_HANDLE_MINUTES"
LUZ_QUIET_HOURS = "LUZ_QUIET_HOURS"
LUZ_WHATSAPP_TEMPLATES = "LUZ_WHATSAPP_TEMPLATES"
LUZ_RATE_TWILIO = "LUZ_RATE_TWILIO"
LUZ_RATE_TELEGRAM = "LUZ_RATE_TELEGRAM"
LUZ_SCHEDULER = "LUZ_SCHEDULER"
LUZ_QUEUE_PATIENCE_MINUTES = "LUZ_QUEUE_PATIENCE_MINUTES"
LUZ_SURVEY_DELAY_MINUTES = "LUZ_SURVEY_DELAY_MINUTES"
LUZ_RESTORATION_DELAY_MINUTES = "LUZ_RESTORATION_DELAY_MINUTES"
LUZ_CLOCK_OFFSET = "LUZ_CLOCK_OFFSET"
LUZ_ACTION_SECRET = "LUZ_ACTION_SECRET"  # Rasa -> action server shared secret (bot/internal_auth.py)
WEB_INTERFACE = "WEB_INTERFACE"
LUZ_RASA_CREDENTIALS = "LUZ_RASA_CREDENTIALS"
LUZ_AGENT_PASSWORD = "LUZ_AGENT_PASSWORD"  # python -m bot agent add|passwd without a prompt (scripts)
# Bounds (issue 18): how long a provider may take, how many turns run at once, how fast one sender may write.
LUZ_PROVIDER_TIMEOUT_SECONDS = "LUZ_PROVIDER_TIMEOUT_SECONDS"
LUZ_MAX_TURNS_IN_FLIGHT = "LUZ_MAX_TURNS_IN_FLIGHT"
LUZ_SENDER_RATE = "LUZ_SENDER_RATE"
LUZ_GROUPING_REPORTS = "LUZ_GROUPING_REPORTS"  # trouble-call grouping (bot/grouping.py): this many reports...
LUZ_GROUPING_MINUTES = "LUZ_GROUPING_MINUTES"  # ...from one transformer or feeder within these minutes
LUZ_INBOX_LEASE_SECONDS = "LUZ_INBOX_LEASE_SECONDS"  # a turn's hold on its message, renewed while it runs
LUZ_INBOX_RETRY_SECONDS = "LUZ_INBOX_RETRY_SECONDS"  # how often a Rasa process looks for turns lost elsewhere
# The agent desk (issue 20): how many conversations an agent holds, when one waits too long, when an agent is away.
LUZ_AGENT_MAX_OPEN = "LUZ_AGENT_MAX_OPEN"
LUZ_AGENT_ANSWER_MINUTES = "LUZ_AGENT_ANSWER_MINUTES"
LUZ_AGENT_AWAY_MINUTES = "LUZ_AGENT_AWAY_MINUTES"
# The website widget (issue 21): which sites may embed it, where it talks to Luz, how long a visitor session lasts.
LUZ_WIDGET_ORIGINS = "LUZ_WIDGET_ORIGINS"
LUZ_WIDGET_API_URL = "LUZ_WIDGET_API_URL"
LUZ_WIDGET_SESSION_HOURS = "LUZ_WIDGET_SESSION_HOURS"
# Providers (channels/): Twilio for WhatsApp and SMS, Telegram's Bot API; *_API_BASE_URL points at emulators in tests.
TWILIO_ACCOUNT_SID = "TWILIO_ACCOUNT_SID"
TWILIO_AUTH_TOKEN = "TWILIO_AUTH_TOKEN"
TWILIO_WHATSAPP_FROM = "TWILIO_WHATSAPP_FROM"
TWILIO_SMS_FROM = "TWILIO_SMS_FROM"
TWILIO_API_BASE_URL = "TWILIO_API_BASE_URL"
# The phone line (channels/voice.py, issue 21): Twilio Voice with the same account.
TWILIO_VOICE_FROM = "TWILIO_VOICE_FROM"  # the number calls to customers come from; empty: no outbound calls
LUZ_VOICE_VOICE = "LUZ_VOICE_VOICE"
LUZ_VOICE_SAY_LANGUAGE = "LUZ_VOICE_SAY_LANGUAGE"
LUZ_VOICE_LANGUAGE = "LUZ_VOICE_LANGUAGE"
LUZ_VOICE_TRANSFER_TO = "LUZ_VOICE_TRANSFER_TO"
LUZ_VOICE_MIN_CONFIDENCE = "LUZ_VOICE_MIN_CONFIDENCE"
LUZ_VOICE_LONG_OUTAGE_HOURS = "LUZ_VOICE_LONG_OUTAGE_HOURS"
TELEGRAM_BOT_TOKEN = "TELEGRAM_BOT_TOKEN"
TELEGRAM_WEBHOOK_SECRET = "TELEGRAM_WEBHOOK_SECRET"
TELEGRAM_API_BASE_URL = "TELEGRAM_API_BASE_URL"
# The production profile (bot/ops/production.py) and its KPI consumer.
RABBITMQ_URL = "RABBITMQ_URL"
LUZ_EVENTS_QUEUE = "LUZ_EVENTS_QUEUE"
REDIS_URL = "REDIS_URL"
LUZ_RASA_REPLICAS = "LUZ_RASA_REPLICAS"
LUZ_ACTION_REPLICAS = "LUZ_ACTION_REPLICAS"
LUZ_PUBLIC_PORT = "LUZ_PUBLIC_PORT"
LUZ_ACTION_PROXY_PORT = "LUZ_ACTION_PROXY_PORT"
LUZ_RUN_DIR = "LUZ_RUN_DIR"

PRODUCTION_DATABASE_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/luz"
DEV_SIGNING_SECRET = "luz-dev-secret-change-me"
DEV_SESSION_SECRET = "luz-dev-session-secret-change-me"


class Secret:
    """A string that never shows its value in logs, reprs or tracebacks."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}('**********')"

    def __str__(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower case, as a browser sends it in ``Origin``; "" when it has none."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def origins(listed: str) -> Tuple[str, ...]:
    """The origins of a comma- or space-separated list of URLs (``LUZ_WIDGET_ORIGINS``)."""
    found = (origin_of(item) for item in listed.replace(",", " ").split())
    return tuple(dict.fromkeys(item for item in found if item))


def _sqlite_url(name: str) -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / name}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone: str = "America/Bogota"
    default_region: str = "CO"
    complaint_deadline_business_days: int = 15
    seed: int = 20261128
    # Development defaults, known to anyone who reads this file: the production profile refuses them.
    signing_secret: Secret = Secret(DEV_SIGNING_SECRET)  # document links
    session_secret: Secret = Secret(DEV_SESSION_SECRET)  # the console's session cookie
    public_base_url: str = ""
    agent_phone: str = "601 555 0100"
    tracker_store_url: str = ""
    rasa_port: int = 5005
    # Rasa's REST channel and HTTP API trust their caller: loopback unless a proxy needs more.
    rasa_interface: str = "127.0.0.1"
    action_port: int = 5055
    action_server_url: str = ""
    web_port: int = 8000
    payment_url_template: str = "https://pagos.energiadelvalle.com.co/pse?ref={reference}"
    agent_hours: str = "07:00-19:00"  # when people attend the queue, local time
    agent_days: str = "1-6"  # ISO weekdays: Monday (1) to Saturday (6)
    handle_minutes: int = 6  # average minutes an agent spends per conversation, for wait estimates
    quiet_hours: str = "21:00-07:00"  # local time: no non-urgent notification then
    whatsapp_templates: str = ""  # "kind=content SID,...": approved templates for outside the 24-hour window
    rate_twilio: float = 10.0  # messages per second to Twilio
    rate_telegram: float = 25.0  # messages per second to Telegram
    scheduler: bool = True  # run the scheduler in this web service (one process of a deployment)
    queue_patience_minutes: int = 10  # a customer waiting longer is updated and offered a callback
    survey_delay_minutes: int = 30  # after a complaint is resolved, when its survey goes
    restoration_delay_minutes: int = 10  # after a restoration is posted, when customers are asked if power is back
    clock_offset_seconds: float = 0.0  # tests and demos only: the product's clock runs this far from the real one
    # Sent by Rasa on every call to the action server, which refuses calls without it. Embedded: a random one per run.
    action_secret: Secret = Secret("")
    web_interface: str = "127.0.0.1"  # where the embedded web service listens (a tunnel or proxy reaches it there)
    rasa_credentials: str = ""  # Rasa's channels file; empty: the profile's own (development: with REST)
    agent_password: Secret = Secret("")  # empty: the command line asks for it
    provider_timeout_seconds: float = 10.0  # one send to Twilio or Telegram; past it the send fails, retryable
    max_turns_in_flight: int = 64  # turns processed at once by one Rasa process; beyond, a polite "busy" answer
    sender_rate: int = 20  # messages per minute from one sender; beyond, one polite answer, then silence
    grouping_reports: int = 3  # no-power reports from distinct supplies that open a suspected outage...
    grouping_minutes: int = 15  # ...when they share a transformer or a feeder within this window
    inbox_lease_seconds: float = 30.0  # a message whose turn has not renewed its lease for this long is run again
    inbox_retry_seconds: float = 10.0  # how often each Rasa process looks for such messages
    agent_max_open: int = 3  # open conversations given to one agent at most (an agent's own cap overrides it)
    agent_answer_minutes: int = 5  # a customer waiting this long for the agent's answer goes to another agent
    agent_away_minutes: int = 10  # an available agent who does nothing this long becomes away
    # The website widget: the origins (scheme://host[:port]) whose pages may talk to it (default: PUBLIC_BASE_URL's),
    # the URL of its channel on the Rasa server, and how long a signed visitor session is honoured.
    widget_origins: Tuple[str, ...] = ()
    widget_api_url: str = ""
    widget_session_hours: float = 12.0
    twilio_account_sid: str = ""
    twilio_auth_token: Secret = Secret("")  # also the key that signs Twilio's webhooks
    twilio_whatsapp_from: str = ""  # "whatsapp:+57..." sender; empty: WhatsApp is off
    twilio_sms_from: str = ""  # "+57..." sender; empty: SMS is off
    twilio_api_base_url: str = ""  # empty: Twilio's own API
    twilio_voice_from: str = ""  # "+57..." caller id of Luz's calls to customers; empty: no outbound calls
    voice_voice: str = "Polly.Lupe"  # Twilio <Say> voice
    voice_say_language: str = "es-US"  # the language that voice speaks
    voice_language: str = "es-CO"  # what Twilio's speech recognition listens for (<Gather language>)
    voice_transfer_to: str = ""  # where "asesor" or 0 is transferred within agent hours; empty: LUZ_AGENT_PHONE
    voice_min_confidence: float = 0.5  # speech heard with less confidence is asked again in other words
    voice_long_outage_hours: float = 2.0  # an outage expected to last this long calls electro-dependent customers
    telegram_bot_token: Secret = Secret("")
    telegram_webhook_secret: Secret = Secret("")  # Telegram sends it back on every webhook call
    telegram_api_base_url: str = ""  # empty: Telegram's own Bot API
    # The production profile: brokers, replicas behind nginx, where its rendered files go.
    rabbitmq_url: Secret = Secret("amqp://guest:guest@127.0.0.1:5672/")
    events_queue: str = "luz_events"
    redis_url: Secret = Secret("redis://127.0.0.1:6379/1")
    rasa_replicas: int = 2
    action_replicas: int = 2
    public_port: int = 8080  # nginx, in front of everything
    action_proxy_port: int = 8081  # nginx, in front of the action servers
    run_dir: Path = PROJECT_ROOT / "var" / "prod"

    def template_for(self, kind: str) -> Optional[str]:
        pairs = (item.split("=", 1) for item in self.whatsapp_templates.split(",") if "=" in item)
        return {name.strip(): sid.strip() for name, sid in pairs}.get(kind)

    @classmethod
    def from_environ(cls, environ: Optional[Mapping[str, str]] = None, *, production: bool = False) -> Settings:
        """Settings from ``environ`` (``os.environ`` when None). ``production``: that profile's defaults, the
        records and the tracker store in the local PostgreSQL and the public URL on nginx."""
        env = os.environ if environ is None else environ
        rasa_port = int(env.get(RASA_PORT, cls.rasa_port))
        action_port = int(env.get(ACTION_PORT, cls.action_port))
        web_port = int(env.get(WEB_PORT, cls.web_port))
        public_port = int(env.get(LUZ_PUBLIC_PORT, cls.public_port))
        database_url = env.get(DATABASE_URL) or (PRODUCTION_DATABASE_URL if production else _sqlite_url("luz.db"))
        default_public_url = f"http://localhost:{public_port if production else web_port}"
        public_base_url = (env.get(PUBLIC_BASE_URL) or default_public_url).rstrip("/")
        # Behind nginx the widget's channel is on the public host; in development, on the Rasa server's own port.
        widget_api_url = env.get(LUZ_WIDGET_API_URL) or (
            f"{public_base_url}/webhooks/web" if production else f"http://127.0.0.1:{rasa_port}/webhooks/web")
        return cls(
            database_url=database_url,
            timezone=env.get(LUZ_TIMEZONE, cls.timezone),
            default_region=env.get(LUZ_DEFAULT_REGION, cls.default_region),
            complaint_deadline_business_days=int(
                env.get(LUZ_COMPLAINT_DEADLINE_DAYS, cls.complaint_deadline_business_days)
            ),
            seed=int(env.get(LUZ_SEED, cls.seed)),
            signing_secret=Secret(env.get(LUZ_SIGNING_SECRET) or DEV_SIGNING_SECRET),
            session_secret=Secret(env.get(LUZ_SESSION_SECRET) or DEV_SESSION_SECRET),
            public_base_url=public_base_url,
            web_port=web_port,
            payment_url_template=env.get(LUZ_PAYMENT_URL, cls.payment_url_template),
            agent_phone=env.get(LUZ_AGENT_PHONE, cls.agent_phone),
            agent_hours=env.get(LUZ_AGENT_HOURS, cls.agent_hours),
            agent_days=env.get(LUZ_AGENT_DAYS, cls.agent_days),
            handle_minutes=int(env.get(LUZ_HANDLE_MINUTES, cls.handle_minutes)),
            quiet_hours=env.get(LUZ_QUIET_HOURS, cls.quiet_hours),
            whatsapp_templates=env.get(LUZ_WHATSAPP_TEMPLATES, cls.whatsapp_templates),
            rate_twilio=float(env.get(LUZ_RATE_TWILIO, cls.rate_twilio)),
            rate_telegram=float(env.get(LUZ_RATE_TELEGRAM, cls.rate_telegram)),
            scheduler=env.get(LUZ_SCHEDULER, "on").lower() not in ("off", "0", "false", "no"),
            queue_patience_minutes=int(env.get(LUZ_QUEUE_PATIENCE_MINUTES, cls.queue_patience_minutes)),
            survey_delay_minutes=int(env.get(LUZ_SURVEY_DELAY_MINUTES, cls.survey_delay_minutes)),
            restoration_delay_minutes=int(env.get(LUZ_RESTORATION_DELAY_MINUTES, cls.restoration_delay_minutes)),
            clock_offset_seconds=float(env.get(LUZ_CLOCK_OFFSET) or 0),
            action_secret=Secret(env.get(LUZ_ACTION_SECRET, "")),
            web_interface=env.get(WEB_INTERFACE) or cls.web_interface,
            rasa_credentials=env.get(LUZ_RASA_CREDENTIALS, ""),
            tracker_store_url=env.get(TRACKER_STORE_URL) or (database_url if production else _sqlite_url("tracker.db")),
            rasa_port=rasa_port,
            rasa_interface=env.get(RASA_INTERFACE, cls.rasa_interface),
            action_port=action_port,
            action_server_url=env.get(ACTION_SERVER_URL) or f"http://127.0.0.1:{action_port}/webhook",
            agent_password=Secret(env.get(LUZ_AGENT_PASSWORD, "")),
            provider_timeout_seconds=float(env.get(LUZ_PROVIDER_TIMEOUT_SECONDS) or cls.provider_timeout_seconds),
            max_turns_in_flight=int(env.get(LUZ_MAX_TURNS_IN_FLIGHT) or cls.max_turns_in_flight),
            sender_rate=int(env.get(LUZ_SENDER_RATE) or cls.sender_rate),
            grouping_reports=int(env.get(LUZ_GROUPING_REPORTS) or cls.grouping_reports),
            grouping_minutes=int(env.get(LUZ_GROUPING_MINUTES) or cls.grouping_minutes),
            inbox_lease_seconds=float(env.get(LUZ_INBOX_LEASE_SECONDS) or cls.inbox_lease_seconds),
            inbox_retry_seconds=float(env.get(LUZ_INBOX_RETRY_SECONDS) or cls.inbox_retry_seconds),
            agent_max_open=int(env.get(LUZ_AGENT_MAX_OPEN) or cls.agent_max_open),
            agent_answer_minutes=int(env.get(LUZ_AGENT_ANSWER_MINUTES) or cls.agent_answer_minutes),
            agent_away_minutes=int(env.get(LUZ_AGENT_AWAY_MINUTES) or cls.agent_away_minutes),
            widget_origins=origins(env.get(LUZ_WIDGET_ORIGINS) or (public_base_url if production else
                                   f"{public_base_url} http://localhost:{web_port} http://127.0.0.1:{web_port}")),
            widget_api_url=widget_api_url.rstrip("/"),
            widget_session_hours=float(env.get(LUZ_WIDGET_SESSION_HOURS) or cls.widget_session_hours),
            twilio_account_sid=env.get(TWILIO_ACCOUNT_SID, ""),
            twilio_auth_token=Secret(env.get(TWILIO_AUTH_TOKEN, "")),
            twilio_whatsapp_from=env.get(TWILIO_WHATSAPP_FROM, ""),
            twilio_sms_from=env.get(TWILIO_SMS_FROM, ""),
            twilio_api_base_url=env.get(TWILIO_API_BASE_URL, ""),
            twilio_voice_from=env.get(TWILIO_VOICE_FROM, ""),
            voice_voice=env.get(LUZ_VOICE_VOICE, cls.voice_voice),
            voice_say_language=env.get(LUZ_VOICE_SAY_LANGUAGE, cls.voice_say_language),
            voice_language=env.get(LUZ_VOICE_LANGUAGE, cls.voice_language),
            voice_transfer_to=env.get(LUZ_VOICE_TRANSFER_TO, ""),
            voice_min_confidence=float(env.get(LUZ_VOICE_MIN_CONFIDENCE) or cls.voice_min_confidence),
            voice_long_outage_hours=float(env.get(LUZ_VOICE_LONG_OUTAGE_HOURS) or cls.voice_long_outage_hours),
            telegram_bot_token=Secret(env.get(TELEGRAM_BOT_TOKEN, "")),
            telegram_webhook_secret=Secret(env.get(TELEGRAM_WEBHOOK_SECRET, "")),
            telegram_api_base_url=env.get(TELEGRAM_API_BASE_URL, ""),
            rabbitmq_url=Secret(env.get(RABBITMQ_URL) or str(cls.rabbitmq_url)),
            events_queue=env.get(LUZ_EVENTS_QUEUE) or cls.events_queue,
            redis_url=Secret(env.get(REDIS_URL) or str(cls.redis_url)),
            rasa_replicas=int(env.get(LUZ_RASA_REPLICAS, cls.rasa_replicas)),
            action_replicas=int(env.get(LUZ_ACTION_REPLICAS, cls.action_replicas)),
            public_port=public_port,
            action_proxy_port=int(env.get(LUZ_ACTION_PROXY_PORT, cls.action_proxy_port)),
            run_dir=Path(env.get(LUZ_RUN_DIR) or cls.run_dir),
        )

    def rasa_environment(self) -> Dict[str, str]:
        """Variables that endpoints.yml and the actions read, for child processes."""
        return {
            DATABASE_URL: self.database_url,
            TRACKER_STORE_URL: self.tracker_store_url,
            ACTION_SERVER_URL: self.action_server_url,
            "PYTHONPATH": str(PROJECT_ROOT),
            PUBLIC_BASE_URL: self.public_base_url,
            LUZ_CLOCK_OFFSET: str(self.clock_offset_seconds),
            LUZ_ACTION_SECRET: str(self.action_secret),  # endpoints.yml sends it; the action server checks it
            "RASA_TELEMETRY_ENABLED": "false",  # nothing leaves the machine
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from ``os.environ`` on first use."""
    return Settings.from_environ()
