"""Tables of the customer information system, as a distributor keeps them.

Money is ``Numeric`` (``Decimal`` in Python), energy is kWh as ``Numeric``,
every timestamp is timezone-aware UTC. Columns the assistant searches by
(phone, account number, ticket, zone) are indexed.
"""
from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING, Any, List, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship
from sqlalchemy.types import TypeDecorator

from bot import clock

if TYPE_CHECKING:  # SQLAlchemy 1.4 builds the base at run time; mypy sees a plain class with its attributes
    class Base:
        __tablename__: str
        __table__: Any
        metadata: Any

        def __init__(self, **kwargs: Any) -> None: ...
else:
    Base = declarative_base()

Money = Numeric(14, 2)
Energy = Numeric(12, 2)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[dt.datetime], dialect: Any) -> Optional[dt.datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: Optional[dt.datetime], dialect: Any) -> Optional[dt.datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def utcnow() -> dt.datetime:
    """Now, from the product's one clock (``bot.clock``): column defaults follow it too."""
    return clock.now()


class Channel(str, enum.Enum):
    whatsapp = "whatsapp"
    sms = "sms"
    telegram = "telegram"
    web = "web"
    phone = "phone"
    office = "office"


class AccountStatus(str, enum.Enum):
    active = "active"
    suspended = "suspended"  # cut for non-payment
    retired = "retired"


class BillStatus(str, enum.Enum):
    unpaid = "unpaid"
    paid = "paid"
    overdue = "overdue"


class ReadingType(str, enum.Enum):
    actual = "actual"
    estimated = "estimated"
    customer = "customer"  # self-reading sent by the customer


class PaymentStatus(str, enum.Enum):
    applied = "applied"
    reported = "reported"  # told by the customer, waiting for reconciliation
    rejected = "rejected"


class OutageKind(str, enum.Enum):
    planned = "planned"
    unplanned = "unplanned"


class OutageStatus(str, enum.Enum):
    scheduled = "scheduled"
    active = "active"
    restored = "restored"
    cancelled = "cancelled"


class TicketStatus(str, enum.Enum):
    received = "received"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


def _enum(kind: type) -> Enum:
    return Enum(kind, native_enum=False, length=20, validate_strings=True)


class Zone(Base):
    __tablename__ = "zones"

    id: Mapped[int] = Column(Integer, primary_key=True)
    code: Mapped[str] = Column(String(20), unique=True, nullable=False)
    name: Mapped[str] = Column(String(120), nullable=False)
    city: Mapped[str] = Column(String(120), nullable=False)

    feeders: Mapped[List[Feeder]] = relationship("Feeder", back_populates="zone")


class Feeder(Base):
    __tablename__ = "feeders"

    id: Mapped[int] = Column(Integer, primary_key=True)
    code: Mapped[str] = Column(String(20), unique=True, nullable=False)
    zone_id: Mapped[int] = Column(ForeignKey("zones.id"), nullable=False, index=True)

    zone: Mapped[Zone] = relationship("Zone", back_populates="feeders")


class Transformer(Base):
    """A distribution transformer: the customers behind it share its faults (bot/grouping.py)."""

    __tablename__ = "transformers"

    id: Mapped[int] = Column(Integer, primary_key=True)
    code: Mapped[str] = Column(String(30), unique=True, nullable=False)
    feeder_id: Mapped[int] = Column(ForeignKey("feeders.id"), nullable=False, index=True)

    feeder: Mapped[Feeder] = relationship("Feeder")


class Tariff(Base):
    """A price of energy for a customer class, valid over a date range."""

    __tablename__ = "tariffs"
    __table_args__ = (Index("ix_tariffs_code_valid_from", "code", "valid_from"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    code: Mapped[str] = Column(String(20), nullable=False)
    name: Mapped[str] = Column(String(120), nullable=False)
    energy_rate: Mapped[Decimal] = Column(Numeric(12, 4), nullable=False)  # per kWh
    fixed_charge: Mapped[Decimal] = Column(Money, nullable=False)  # per month
    valid_from: Mapped[dt.date] = Column(Date, nullable=False)
    valid_to: Mapped[Optional[dt.date]] = Column(Date)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = Column(Integer, primary_key=True)
    national_id: Mapped[str] = Column(String(20), unique=True, nullable=False)
    full_name: Mapped[str] = Column(String(160), nullable=False)
    email: Mapped[Optional[str]] = Column(String(160))
    electro_dependent: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    notifications_consent: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    preferred_channel: Mapped[Channel] = Column(_enum(Channel), nullable=False, default=Channel.sms)
    telegram_user_id: Mapped[Optional[str]] = Column(String(40), index=True)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)

    phones: Mapped[List[Phone]] = relationship("Phone", back_populates="customer")
    accounts: Mapped[List[Account]] = relationship("Account", back_populates="customer")


class Phone(Base):
    """A phone number registered by a customer, in E.164 (``+573001112233``)."""

    __tablename__ = "phones"
    __table_args__ = (UniqueConstraint("customer_id", "number"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False)
    number: Mapped[str] = Column(String(20), nullable=False, index=True)
    is_mobile: Mapped[bool] = Column(Boolean, nullable=False, default=True)

    customer: Mapped[Customer] = relationship("Customer", back_populates="phones")


class Account(Base):
    """A supply point: one meter at one address, billed under one account number."""

    __tablename__ = "accounts"

    id: Mapped[int] = Column(Integer, primary_key=True)
    account_number: Mapped[str] = Column(String(12), unique=True, nullable=False)
    customer_id: Mapped[int] = Column(ForeignKey("customers.id"), nullable=False, index=True)
    address: Mapped[str] = Column(String(200), nullable=False)
    neighborhood: Mapped[str] = Column(String(120), nullable=False)
    city: Mapped[str] = Column(String(120), nullable=False)
    zone_id: Mapped[int] = Column(ForeignKey("zones.id"), nullable=False, index=True)
    feeder_id: Mapped[int] = Column(ForeignKey("feeders.id"), nullable=False, index=True)
    transformer_id: Mapped[Optional[int]] = Column(ForeignKey("transformers.id"), index=True)
    tariff_code: Mapped[str] = Column(String(20), nullable=False)
    meter_number: Mapped[str] = Column(String(20), unique=True, nullable=False)
    status: Mapped[AccountStatus] = Column(_enum(AccountStatus), nullable=False, default=AccountStatus.active)
    e_billing: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)

    customer: Mapped[Customer] = relationship("Customer", back_populates="accounts")
    zone: Mapped[Zone] = relationship("Zone")
    feeder: Mapped[Feeder] = relationship("Feeder")
    bills: Mapped[List[Bill]] = relationship("Bill", back_populates="account", order_by="Bill.period")
    generation: Mapped[Optional[GenerationSystem]] = relationship("GenerationSystem", back_populates="account", uselist=False)


class Bill(Base):
    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("account_id", "period"),
        Index("ix_bills_status_due_date", "status", "due_date"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    account_id: Mapped[int] = Column(ForeignKey("accounts.id"), nullable=False)
    period: Mapped[dt.date] = Column(Date, nullable=False)  # first day of the billed month
    issued_on: Mapped[dt.date] = Column(Date, nullable=False)
    due_date: Mapped[dt.date] = Column(Date, nullable=False)
    reading_start: Mapped[Decimal] = Column(Energy, nullable=False)
    reading_end: Mapped[Decimal] = Column(Energy, nullable=False)
    reading_type: Mapped[ReadingType] = Column(_enum(ReadingType), nullable=False)
    kwh: Mapped[Decimal] = Column(Energy, nullable=False)
    tariff_id: Mapped[int] = Column(ForeignKey("tariffs.id"), nullable=False)
    energy_amount: Mapped[Decimal] = Column(Money, nullable=False)
    fixed_amount: Mapped[Decimal] = Column(Money, nullable=False)
    public_lighting_amount: Mapped[Decimal] = Column(Money, nullable=False)
    taxes_amount: Mapped[Decimal] = Column(Money, nullable=False)
    generation_credit_amount: Mapped[Decimal] = Column(Money, nullable=False, default=Decimal("0"))
    total: Mapped[Decimal] = Column(Money, nullable=False)
    status: Mapped[BillStatus] = Column(_enum(BillStatus), nullable=False)
    paid_on: Mapped[Optional[dt.date]] = Column(Date)

    account: Mapped[Account] = relationship("Account", back_populates="bills")
    tariff: Mapped[Tariff] = relationship("Tariff")


class Payment(Base):
    __tablename__ = "payments"
    # A reference is applied once per account, whoever posts it and however often (bot/web/api/payments.py).
    __table_args__ = (Index("uq_payments_applied_reference", "account_id", "reference", unique=True,
                            postgresql_where=text("status = 'applied'"), sqlite_where=text("status = 'applied'")),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    account_id: Mapped[int] = Column(ForeignKey("accounts.id"), nullable=False, index=True)
    bill_id: Mapped[Optional[int]] = Column(ForeignKey("bills.id"))
    amount: Mapped[Decimal] = Column(Money, nullable=False)
    paid_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False)
    method: Mapped[str] = Column(String(40), nullable=False)  # bank, online, store, office
    reference: Mapped[Optional[str]] = Column(String(60))
    status: Mapped[PaymentStatus] = Column(_enum(PaymentStatus), nullable=False, default=PaymentStatus.applied)
    reported_channel: Mapped[Optional[str]] = Column(String(20))
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class MeterReading(Base):
    """A register reading of the meter: by the utility's reader, estimated, or sent by the customer."""

    __tablename__ = "meter_readings"
    __table_args__ = (Index("ix_meter_readings_account_read_at", "account_id", "read_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    account_id: Mapped[int] = Column(ForeignKey("accounts.id"), nullable=False)
    read_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False)
    value_kwh: Mapped[Decimal] = Column(Energy, nullable=False)
    reading_type: Mapped[ReadingType] = Column(_enum(ReadingType), nullable=False)


class Outage(Base):
    __tablename__ = "outages"
    __table_args__ = (Index("ix_outages_status_starts_at", "status", "starts_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    kind: Mapped[OutageKind] = Column(_enum(OutageKind), nullable=False)
    status: Mapped[OutageStatus] = Column(_enum(OutageStatus), nullable=False)
    cause: Mapped[str] = Column(String(200), nullable=False)
    starts_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False)
    estimated_restoration_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    restored_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    # the estimate passed with the power still out: the OMS owes a new one (cleared when it sends it)
    estimate_expired_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)

    areas: Mapped[List[OutageArea]] = relationship("OutageArea", back_populates="outage", cascade="all, delete-orphan")


class OutageArea(Base):
    """A zone (whole) or one feeder of a zone that an outage affects."""

    __tablename__ = "outage_areas"

    id: Mapped[int] = Column(Integer, primary_key=True)
    outage_id: Mapped[int] = Column(ForeignKey("outages.id"), nullable=False, index=True)
    zone_id: Mapped[int] = Column(ForeignKey("zones.id"), nullable=False, index=True)
    feeder_id: Mapped[Optional[int]] = Column(ForeignKey("feeders.id"))

    outage: Mapped[Outage] = relationship("Outage", back_populates="areas")
    zone: Mapped[Zone] = relationship("Zone")


class SuspectedOutage(Base):
    """Reports that share a transformer or a feeder within a window, before the OMS confirms anything
    (bot/grouping.py): later reporters there are told it is known; the OMS is told by webhook."""

    __tablename__ = "suspected_outages"
    __table_args__ = (Index("ix_suspected_outages_status", "status", "zone_id"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    level: Mapped[str] = Column(String(20), nullable=False)  # transformer, feeder
    transformer_id: Mapped[Optional[int]] = Column(ForeignKey("transformers.id"))
    feeder_id: Mapped[int] = Column(ForeignKey("feeders.id"), nullable=False)
    zone_id: Mapped[int] = Column(ForeignKey("zones.id"), nullable=False)
    status: Mapped[str] = Column(String(20), nullable=False, default="open")  # open, merged
    reports: Mapped[int] = Column(Integer, nullable=False, default=0)
    opened_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_report_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    merged_outage_id: Mapped[Optional[int]] = Column(ForeignKey("outages.id"))
    merged_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)

    transformer: Mapped[Optional[Transformer]] = relationship("Transformer")
    feeder: Mapped[Feeder] = relationship("Feeder")
    zone: Mapped[Zone] = relationship("Zone")


class WebhookSubscriber(Base):
    """A system told of Luz's events by signed POSTs (bot/webhooks.py), managed like API keys."""

    __tablename__ = "webhook_subscribers"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(80), unique=True, nullable=False)
    url: Mapped[str] = Column(String(400), nullable=False)
    secret: Mapped[str] = Column(String(100), nullable=False)  # the HMAC key: kept, as it signs every delivery
    events: Mapped[str] = Column(String(400), nullable=False, default="*")  # comma-separated, or "*"
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    revoked_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)


class WebhookDelivery(Base):
    """One event for one subscriber, from queued to delivered (or failed after its retries); replayable."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = Column(ForeignKey("webhook_subscribers.id"), nullable=False, index=True)
    event: Mapped[str] = Column(String(60), nullable=False)
    payload: Mapped[Any] = Column(JSON, nullable=False)
    status: Mapped[str] = Column(String(20), nullable=False, default="queued")  # queued, delivered, failed
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_status: Mapped[Optional[int]] = Column(Integer)
    last_error: Mapped[Optional[str]] = Column(String(300))
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    replay_of: Mapped[Optional[int]] = Column(Integer)

    subscriber: Mapped[WebhookSubscriber] = relationship("WebhookSubscriber")


class OutageReport(Base):
    """A customer's report of no power, a power-quality problem or a hazard."""

    __tablename__ = "outage_reports"
    __table_args__ = (Index("ix_outage_reports_kind_created_at", "kind", "created_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    ticket: Mapped[Optional[str]] = Column(String(20), unique=True)
    kind: Mapped[str] = Column(String(20), nullable=False)  # no_power, power_quality, hazard
    priority: Mapped[int] = Column(Integer, nullable=False, default=3)  # 1 = emergency
    account_id: Mapped[Optional[int]] = Column(ForeignKey("accounts.id"), index=True)
    outage_id: Mapped[Optional[int]] = Column(ForeignKey("outages.id"), index=True)
    suspected_outage_id: Mapped[Optional[int]] = Column(ForeignKey("suspected_outages.id"), index=True)
    phone: Mapped[Optional[str]] = Column(String(20))
    channel: Mapped[str] = Column(String(20), nullable=False)
    address: Mapped[Optional[str]] = Column(String(200))
    latitude: Mapped[Optional[Decimal]] = Column(Numeric(9, 6))
    longitude: Mapped[Optional[Decimal]] = Column(Numeric(9, 6))
    description: Mapped[Optional[str]] = Column(Text)
    status: Mapped[TicketStatus] = Column(_enum(TicketStatus), nullable=False, default=TicketStatus.received)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class Complaint(Base):
    __tablename__ = "complaints"
    __table_args__ = (Index("ix_complaints_status_due_at", "status", "due_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    ticket: Mapped[Optional[str]] = Column(String(20), unique=True)
    account_id: Mapped[int] = Column(ForeignKey("accounts.id"), nullable=False, index=True)
    category: Mapped[str] = Column(String(40), nullable=False)
    channel: Mapped[str] = Column(String(20), nullable=False)
    description: Mapped[str] = Column(Text, nullable=False)
    status: Mapped[TicketStatus] = Column(_enum(TicketStatus), nullable=False, default=TicketStatus.received)
    filed_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    due_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False)
    resolved_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    resolution: Mapped[Optional[str]] = Column(Text)
    attachments: Mapped[Optional[list]] = Column(JSON)
    escalated_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # near or past its deadline: supervisors told

    account: Mapped[Account] = relationship("Account")
    history: Mapped[List[ComplaintEvent]] = relationship(
        "ComplaintEvent",
        back_populates="complaint", order_by="ComplaintEvent.at", cascade="all, delete-orphan"
    )


class ComplaintEvent(Base):
    """One step of a complaint's status history."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = Column(Integer, primary_key=True)
    complaint_id: Mapped[int] = Column(ForeignKey("complaints.id"), nullable=False, index=True)
    at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    status: Mapped[TicketStatus] = Column(_enum(TicketStatus), nullable=False)
    note: Mapped[Optional[str]] = Column(Text)

    complaint: Mapped[Complaint] = relationship("Complaint", back_populates="history")


class ServiceRequest(Base):
    """A procedure: new connection, change of owner, reconnection, payment arrangement..."""

    __tablename__ = "service_requests"

    id: Mapped[int] = Column(Integer, primary_key=True)
    ticket: Mapped[Optional[str]] = Column(String(20), unique=True)
    kind: Mapped[str] = Column(String(40), nullable=False, index=True)
    account_id: Mapped[Optional[int]] = Column(ForeignKey("accounts.id"), index=True)
    customer_id: Mapped[Optional[int]] = Column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = Column(String(20), nullable=False)
    status: Mapped[TicketStatus] = Column(_enum(TicketStatus), nullable=False, default=TicketStatus.received)
    details: Mapped[Optional[dict]] = Column(JSON)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class GenerationSystem(Base):
    """Distributed generation (rooftop solar) installed at a supply point."""

    __tablename__ = "generation_systems"

    id: Mapped[int] = Column(Integer, primary_key=True)
    account_id: Mapped[int] = Column(ForeignKey("accounts.id"), unique=True, nullable=False)
    technology: Mapped[str] = Column(String(40), nullable=False, default="solar")
    installed_kwp: Mapped[Decimal] = Column(Numeric(8, 2), nullable=False)
    commissioned_on: Mapped[dt.date] = Column(Date, nullable=False)

    account: Mapped[Account] = relationship("Account", back_populates="generation")
    periods: Mapped[List[GenerationPeriod]] = relationship("GenerationPeriod", order_by="GenerationPeriod.period")


class GenerationPeriod(Base):
    """Energy a prosumer exported to the grid in a month and the credit it earned."""

    __tablename__ = "generation_periods"
    __table_args__ = (UniqueConstraint("system_id", "period"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    system_id: Mapped[int] = Column(ForeignKey("generation_systems.id"), nullable=False)
    period: Mapped[dt.date] = Column(Date, nullable=False)
    generated_kwh: Mapped[Decimal] = Column(Energy, nullable=False)
    exported_kwh: Mapped[Decimal] = Column(Energy, nullable=False)
    credit_amount: Mapped[Decimal] = Column(Money, nullable=False)


class InboundMessage(Base):
    """A customer's message as its webhook brought it, kept until it is answered (channels/inbox.py).

    A provider's message id is seen once: retries and duplicates are processed a single time. The verified
    payload is kept with a lease: a turn whose process died before answering (the lease ran out with no
    ``done_at``) is run again by another process, so an accepted message is never lost.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "provider_id"),
                      Index("ix_inbound_messages_pending", "channel", "claimed_until",
                            postgresql_where=text("done_at IS NULL"), sqlite_where=text("done_at IS NULL")))

    id: Mapped[int] = Column(Integer, primary_key=True)
    channel: Mapped[str] = Column(String(20), nullable=False)
    provider_id: Mapped[str] = Column(String(80), nullable=False)
    sender: Mapped[str] = Column(String(40), nullable=False)
    received_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    payload: Mapped[Optional[Any]] = Column(JSON)  # the verified request, to run the turn again
    claimed_until: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # a process is on it until then
    claimed_by: Mapped[Optional[str]] = Column(String(80))  # "host:pid" of the process running its turn
    attempts: Mapped[int] = Column(Integer, nullable=False, default=1)
    done_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    outcome: Mapped[Optional[str]] = Column(String(20))  # answered, given_up


class ConversationMenu(Base):
    """The numbered options last shown to a conversation, so a reply "2" maps back to its button."""

    __tablename__ = "conversation_menus"

    conversation_id: Mapped[str] = Column(String(80), primary_key=True)
    options: Mapped[list] = Column(JSON, nullable=False)
    updated_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class OutboundMessage(Base):
    """A message handed to a provider, and what the provider said of its delivery."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = Column(Integer, primary_key=True)
    channel: Mapped[str] = Column(String(20), nullable=False)
    provider_id: Mapped[Optional[str]] = Column(String(80), unique=True)
    recipient: Mapped[str] = Column(String(40), nullable=False, index=True)
    body: Mapped[str] = Column(Text, nullable=False)
    media_url: Mapped[Optional[str]] = Column(String(500))
    status: Mapped[str] = Column(String(20), nullable=False, default="queued")  # queued, sent, delivered, failed...
    error_code: Mapped[Optional[str]] = Column(String(20))
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class OptOut(Base):
    """A phone that texted STOP/BAJA on a channel: nothing proactive is sent to it there."""

    __tablename__ = "opt_outs"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    channel: Mapped[str] = Column(String(20), nullable=False)
    address: Mapped[str] = Column(String(40), nullable=False)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class AgentRole(str, enum.Enum):
    agent = "agent"
    supervisor = "supervisor"


class Agent(Base):
    """A person of the contact centre who signs in to the console."""

    __tablename__ = "agents"

    id: Mapped[int] = Column(Integer, primary_key=True)
    username: Mapped[str] = Column(String(60), unique=True, nullable=False)
    full_name: Mapped[str] = Column(String(120), nullable=False)
    role: Mapped[AgentRole] = Column(_enum(AgentRole), nullable=False, default=AgentRole.agent)
    password_hash: Mapped[str] = Column(String(200), nullable=False)
    active: Mapped[bool] = Column(Boolean, nullable=False, default=True)
    last_seen_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    # Carried in the console's session cookie and compared on every request: signing out or a new
    # password adds one, which revokes every session the agent had (bot/web/console/auth.py).
    session_epoch: Mapped[int] = Column(Integer, nullable=False, default=0, server_default="0")
    # --- agent desk (issue 20): presence and round-robin assignment (bot/assignment.py) ---
    presence: Mapped[str] = Column(String(10), nullable=False, default="offline", server_default="offline")
    presence_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # when the presence last changed
    last_active_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # last thing the agent did (not a heartbeat)
    last_assigned_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # the round robin's turn
    max_open: Mapped[Optional[int]] = Column(Integer)  # cap of open conversations; None: LUZ_AGENT_MAX_OPEN


class HandoffStatus(str, enum.Enum):
    queued = "queued"        # waiting for an agent
    assigned = "assigned"    # an agent has it
    closed = "closed"        # the agent finished; the assistant answers again
    left = "left"            # the customer went back to the assistant before being served
    diverted = "diverted"    # nobody could take it: a callback or a case instead


OPEN_HANDOFF = (HandoffStatus.queued, HandoffStatus.assigned)


class Handoff(Base):
    """A conversation handed from the assistant to a person, from queueing to closure."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status_priority", "status", "priority", "created_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(80), nullable=False, index=True)
    channel: Mapped[str] = Column(String(20), nullable=False)
    customer_id: Mapped[Optional[int]] = Column(ForeignKey("customers.id"), index=True)
    account_number: Mapped[Optional[str]] = Column(String(20))
    reason: Mapped[str] = Column(String(20), nullable=False)  # requested, fallback, hazard, upset
    priority: Mapped[int] = Column(Integer, nullable=False)  # 0 hazard, 1 electro-dependent, 2 the rest
    status: Mapped[HandoffStatus] = Column(_enum(HandoffStatus), nullable=False, default=HandoffStatus.queued)
    agent_id: Mapped[Optional[int]] = Column(ForeignKey("agents.id"), index=True)
    summary: Mapped[Optional[str]] = Column(Text)
    told_position: Mapped[Optional[int]] = Column(Integer)
    patience_told_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # "still waiting" sent, callback offered
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    taken_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    first_response_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    closed_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    resolution: Mapped[Optional[str]] = Column(Text)
    # --- agent desk (issue 20): the work state an agent sees, and when the customer waits for an answer ---
    desk_status: Mapped[str] = Column(String(10), nullable=False, default="open", server_default="open")
    snoozed_until: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    assigned_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # given to its current agent
    awaiting_since: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # the customer waits for an agent's answer
    previous_agent_id: Mapped[Optional[int]] = Column(Integer)  # released by this agent: not given back at once

    customer: Mapped[Optional[Customer]] = relationship("Customer")
    agent: Mapped[Optional[Agent]] = relationship("Agent")
    messages: Mapped[List[HandoffMessage]] = relationship(
        "HandoffMessage", back_populates="handoff", order_by="HandoffMessage.id")
    labels: Mapped[List[Label]] = relationship("Label", secondary="handoff_labels", order_by="Label.name")


class HandoffMessage(Base):
    """What was said while a person had the conversation: customer, agent, internal note, system."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = Column(Integer, primary_key=True)
    handoff_id: Mapped[int] = Column(ForeignKey("handoffs.id"), nullable=False, index=True)
    kind: Mapped[str] = Column(String(10), nullable=False)  # customer, agent, note, system
    agent_id: Mapped[Optional[int]] = Column(ForeignKey("agents.id"))
    body: Mapped[str] = Column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)

    handoff: Mapped[Handoff] = relationship("Handoff", back_populates="messages")
    agent: Mapped[Optional[Agent]] = relationship("Agent")


# --- agent desk (issue 20) ---
DESK_STATUSES = ("open", "pending", "snoozed", "resolved")
PRESENCES = ("online", "away", "offline")
SEEDED_LABELS = (("facturación", "#2a4a9a"), ("corte", "#8a4b00"), ("peligro", "#b3261e"), ("reclamo", "#6b3fa0"),
                 ("prosumidor", "#0b6e4f"))


class Label(Base):
    """A tag agents put on conversations to organise and find them (facturación, corte, peligro...)."""

    __tablename__ = "labels"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(40), unique=True, nullable=False)
    color: Mapped[str] = Column(String(9), nullable=False, default="#2a4a9a")


class HandoffLabel(Base):
    __tablename__ = "handoff_labels"

    handoff_id: Mapped[int] = Column(ForeignKey("handoffs.id"), primary_key=True)
    label_id: Mapped[int] = Column(ForeignKey("labels.id"), primary_key=True, index=True)


class Survey(Base):
    """A 1-5 satisfaction question sent to a customer, and the answer when it came."""

    __tablename__ = "surveys"

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(80), nullable=False, index=True)
    channel: Mapped[str] = Column(String(20), nullable=False)
    subject: Mapped[str] = Column(String(20), nullable=False)  # handoff, complaint
    handoff_id: Mapped[Optional[int]] = Column(ForeignKey("handoffs.id"), index=True)
    complaint_id: Mapped[Optional[int]] = Column(ForeignKey("complaints.id"), index=True)
    agent_id: Mapped[Optional[int]] = Column(ForeignKey("agents.id"), index=True)
    score: Mapped[Optional[int]] = Column(Integer)
    asked_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    answered_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    # True when migration 0009 inverted the score: answered on WhatsApp or SMS while "5" was taken for the fifth
    # option (muy mala); presumed typed as a number, which cannot be told from a word (docs/kpis.md).
    score_corrected: Mapped[bool] = Column(Boolean, nullable=False, default=False, server_default=false())

    handoff: Mapped[Optional[Handoff]] = relationship("Handoff")


class ApiKey(Base):
    """A key another system of the utility calls the integration API with; only its SHA-256 is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(80), nullable=False)
    key_hash: Mapped[str] = Column(String(64), unique=True, nullable=False)
    prefix: Mapped[str] = Column(String(12), nullable=False)  # shown in listings to tell keys apart
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    revoked_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)


class IdempotentRequest(Base):
    """A POST made with an ``Idempotency-Key``: a repeat gets the first answer, not a second effect."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("api_key_id", "key"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    api_key_id: Mapped[int] = Column(ForeignKey("api_keys.id"), nullable=False)
    key: Mapped[str] = Column(String(120), nullable=False)
    fingerprint: Mapped[str] = Column(String(64), nullable=False)  # method, path and body
    status_code: Mapped[Optional[int]] = Column(Integer)  # None while the first request is running
    response: Mapped[Optional[dict]] = Column(JSON)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class NotificationStatus(str, enum.Enum):
    queued = "queued"        # waiting for its time (quiet hours, a retry, a scheduled notice)
    sent = "sent"            # handed to the provider
    delivered = "delivered"  # the provider confirmed delivery
    failed = "failed"        # the provider refused it for good, or retries ran out
    skipped = "skipped"      # not sent: opted out, no consent, no reachable channel, too late


class NoticeBatch(Base):
    """The notices of one outage to everyone it affects, queued in bulk after the OMS's request (bot/fanout.py)."""

    __tablename__ = "notice_batches"

    id: Mapped[int] = Column(Integer, primary_key=True)
    outage_id: Mapped[int] = Column(ForeignKey("outages.id"), nullable=False, index=True)
    kind: Mapped[str] = Column(String(40), nullable=False)
    status: Mapped[str] = Column(String(20), nullable=False)  # queuing, queued, superseded
    total: Mapped[Optional[int]] = Column(Integer)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    queued_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)

    outage: Mapped[Outage] = relationship("Outage")


class Notification(Base):
    """A message the utility starts (outage, planned work, reminder, resolution), from queueing to delivery."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_due", "status", "not_before"),
                      Index("ix_notifications_outage_kind_status", "outage_id", "kind", "status"))

    id: Mapped[int] = Column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = Column(String(160), unique=True, nullable=False)  # never sent twice
    kind: Mapped[str] = Column(String(40), nullable=False, index=True)
    customer_id: Mapped[Optional[int]] = Column(ForeignKey("customers.id"), index=True)
    account_id: Mapped[Optional[int]] = Column(ForeignKey("accounts.id"))
    channel: Mapped[Optional[str]] = Column(String(20))
    address: Mapped[Optional[str]] = Column(String(40))  # phone in E.164, or a Telegram chat id
    body: Mapped[str] = Column(Text, nullable=False)
    buttons: Mapped[Optional[list]] = Column(JSON)
    variables: Mapped[Optional[dict]] = Column(JSON)  # for a WhatsApp template
    urgent: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    status: Mapped[NotificationStatus] = Column(_enum(NotificationStatus), nullable=False,
                                                default=NotificationStatus.queued)
    not_before: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # pointless after this (the work started)
    attempts: Mapped[int] = Column(Integer, nullable=False, default=0)
    provider_id: Mapped[Optional[str]] = Column(String(80), index=True)
    template_id: Mapped[Optional[str]] = Column(String(80))
    error: Mapped[Optional[str]] = Column(String(200))
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    delivered_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    outage_id: Mapped[Optional[int]] = Column(ForeignKey("outages.id"), index=True)
    answer: Mapped[Optional[str]] = Column(String(20))  # the customer's reply to a question it asked

    customer: Mapped[Optional[Customer]] = relationship("Customer")
    account: Mapped[Optional[Account]] = relationship("Account")


class SecondFactorFailure(Base):
    """A wrong answer to "the last 4 digits of the holder's id", kept to stop guessing them: four digits
    are found in a few thousand tries, so an account (and a sender) gets only a few wrong answers a day
    (actions/identity.py)."""

    __tablename__ = "second_factor_failures"
    __table_args__ = (Index("ix_second_factor_failures_account_at", "account_id", "at"),
                      Index("ix_second_factor_failures_sender_at", "sender", "at"),
                      Index("ix_second_factor_failures_number_at", "account_number", "at"))

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    # The number the sender gave, counted whether or not it is an account (an unknown number is answered and
    # limited like a wrong digit, so numbers cannot be enumerated); the account when there is one.
    account_number: Mapped[Optional[str]] = Column(String(20))
    account_id: Mapped[Optional[int]] = Column(ForeignKey("accounts.id"))
    sender: Mapped[str] = Column(String(80), nullable=False)


class ContactChangeCode(Base):
    """A one-time code that confirms a change of contact data (bot/contact_codes.py): sent to a channel
    already on the account, typed back in the conversation that asked, redeemed once by the change."""

    __tablename__ = "contact_change_codes"
    __table_args__ = (Index("ix_contact_change_codes_conversation", "conversation_id", "account_id"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    account_id: Mapped[int] = Column(ForeignKey("accounts.id"), nullable=False)
    conversation_id: Mapped[str] = Column(String(80), nullable=False)
    new_value: Mapped[str] = Column(String(160), nullable=False)
    code_hash: Mapped[str] = Column(String(100), nullable=False)  # "salt$sha256(salt:code)"
    sent_to: Mapped[str] = Column(String(80), nullable=False)  # how the customer was told where it went
    tries: Mapped[int] = Column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False)
    confirmed_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)
    closed_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)  # redeemed, replaced, expired or out of tries


class InteractionEvent(Base):
    """One thing that happened in the service, as the KPIs count it (bot/kpis.py).

    Kinds: message_received, reply_sent (latency_ms: webhook to provider), intent (intent, confidence,
    text when not understood), fallback, handoff_queued, handoff_taken (latency_ms: the wait),
    agent_first_response (latency_ms: since taken), handoff_closed, handoff_left, survey_answered
    (value: 1-5), notification_sent / _delivered / _failed, ticket_created (category for complaints),
    ticket_resolved (latency_ms: resolution time; value: 1 within the regulatory deadline, else 0).
    """

    __tablename__ = "interaction_events"
    __table_args__ = (Index("ix_interaction_events_kind_at", "kind", "at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    kind: Mapped[str] = Column(String(30), nullable=False)
    channel: Mapped[Optional[str]] = Column(String(20))
    conversation_id: Mapped[Optional[str]] = Column(String(80))
    intent: Mapped[Optional[str]] = Column(String(60))
    confidence: Mapped[Optional[float]] = Column(Numeric(5, 4))
    latency_ms: Mapped[Optional[int]] = Column(BigInteger)  # resolution times in ms exceed 32 bits
    value: Mapped[Optional[int]] = Column(Integer)
    agent_id: Mapped[Optional[int]] = Column(Integer)
    ticket: Mapped[Optional[str]] = Column(String(20))
    category: Mapped[Optional[str]] = Column(String(40))
    text: Mapped[Optional[str]] = Column(String(300))


# --- phone line (issue 21) ---

class VoiceCall(Base):
    """A phone call with Luz, incoming or placed for a notification (its ``provider_id`` is the ``call_sid``).

    ``silences`` and ``unclear`` count the turns in a row with nothing heard or heard with low confidence (two
    silences end the call); ``last_said`` is the question to repeat when nothing was heard.
    """

    __tablename__ = "voice_calls"

    id: Mapped[int] = Column(Integer, primary_key=True)
    call_sid: Mapped[str] = Column(String(64), unique=True, nullable=False)
    conversation_id: Mapped[str] = Column(String(80), nullable=False, index=True)
    phone: Mapped[str] = Column(String(40), nullable=False, index=True)
    direction: Mapped[str] = Column(String(20), nullable=False)  # inbound, outbound
    status: Mapped[str] = Column(String(20), nullable=False, default="in-progress")  # Twilio's CallStatus at the end
    silences: Mapped[int] = Column(Integer, nullable=False, default=0)
    unclear: Mapped[int] = Column(Integer, nullable=False, default=0)
    last_said: Mapped[Optional[str]] = Column(Text)
    outcome: Mapped[Optional[str]] = Column(String(20))  # transferred, callback, silence, goodbye
    transferred_to: Mapped[Optional[str]] = Column(String(40))
    started_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[Optional[dt.datetime]] = Column(UTCDateTime)


class VoiceTurn(Base):
    """One request Twilio made during a call (turn 0 answers the call): processed once, its TwiML kept for a retry."""

    __tablename__ = "voice_turns"
    __table_args__ = (UniqueConstraint("call_sid", "turn"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    call_sid: Mapped[str] = Column(String(64), nullable=False)
    turn: Mapped[int] = Column(Integer, nullable=False)
    heard: Mapped[Optional[str]] = Column(Text)  # what the caller said or keyed, as Luz took it
    twiml: Mapped[Optional[str]] = Column(Text)  # None while the turn is being answered
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


# --- website widget (issue 21) ---

class WebVisitor(Base):
    """A website visitor's session: a random conversation id the server issued and signed (``channels/visitors.py``).

    It names nobody: a visitor identifies like any stranger, with the account number and the second factor."""

    __tablename__ = "web_visitors"

    id: Mapped[str] = Column(String(40), primary_key=True)  # the conversation id, "web:<random>"
    origin: Mapped[Optional[str]] = Column(String(200))  # the page's origin that opened it
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)


class WebMessage(Base):
    """One message of a visitor's conversation as the widget shows it, in order: the visitor's, Luz's, an agent's.

    The web provider writes Luz's and the agents' here (the widget reads them by polling); the widget's own
    messages are kept too, so a reloaded page shows the conversation again."""

    __tablename__ = "web_messages"
    __table_args__ = (Index("ix_web_messages_visitor_id", "visitor_id", "id"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    visitor_id: Mapped[str] = Column(ForeignKey("web_visitors.id", ondelete="CASCADE"), nullable=False)
    author: Mapped[str] = Column(String(20), nullable=False)  # visitor, luz, agent
    author_name: Mapped[Optional[str]] = Column(String(80))  # the agent's first name
    text: Mapped[str] = Column(Text, nullable=False, default="")
    media_url: Mapped[Optional[str]] = Column(String(500))
    buttons: Mapped[Optional[list]] = Column(JSON)  # [[title, payload], ...]
    created_at: Mapped[dt.datetime] = Column(UTCDateTime, nullable=False, default=utcnow)
