"""The records database as the assistant reads it, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect, select

from bot import records
from bot.db import models as m
from bot.db.engine import session_scope
from bot.demo.customers import DEMO_CUSTOMERS
from bot.demo.seed import seed


def test_migrations_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(m.Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_seed_writes_a_realistic_population(engine):
    with session_scope(engine) as session:
        count = lambda model: session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
        assert count(m.Customer) == 300
        assert count(m.Account) >= 300
        months = session.execute(
            select(func.count(func.distinct(m.Bill.period))).where(m.Bill.account_id == 1)
        ).scalar_one()
        assert months == 24
        statuses = set(session.execute(select(m.Complaint.status).distinct()).scalars())
        assert statuses == set(m.TicketStatus)
        assert count(m.GenerationSystem) >= 5
        suspended = session.execute(
            select(func.count()).where(m.Account.status == m.AccountStatus.suspended)
        ).scalar_one()
        assert suspended >= 1


def test_seed_has_an_active_outage_and_planned_interruptions_next_week(engine, today):
    with session_scope(engine) as session:
        active = session.execute(
            select(m.Outage).where(m.Outage.status == m.OutageStatus.active)
        ).scalars().all()
        planned = session.execute(
            select(m.Outage).where(m.Outage.kind == m.OutageKind.planned)
        ).scalars().all()
    assert len(active) == 1
    assert active[0].estimated_restoration_at.tzinfo is not None
    assert active[0].starts_at <= m.utcnow()  # in progress whatever the hour of seeding (it was 10:00 local)
    assert planned and all(
        dt.timedelta(days=1) < o.starts_at.date() - today <= dt.timedelta(days=8) for o in planned
    )


def test_some_complaints_are_past_their_deadline(engine):
    with session_scope(engine) as session:
        overdue = session.execute(
            select(func.count()).where(
                m.Complaint.status.in_([m.TicketStatus.received, m.TicketStatus.in_progress]),
                m.Complaint.due_at < m.utcnow(),
            )
        ).scalar_one()
    assert overdue >= 1


def test_seeding_a_database_that_has_customers_is_refused(engine):
    with pytest.raises(RuntimeError, match="already has customers"):
        seed(engine, seed=7, customers=10)


def test_a_registered_phone_finds_its_supplies(engine):
    with session_scope(engine) as session:
        maria = records.accounts_for_phone(session, "+573001234503")
        assert [a.account_number for a in maria] == ["100200303", "100200313"]
        assert records.accounts_for_phone(session, "+573009999999") == []


def test_the_second_factor_is_the_end_of_the_holders_id(engine):
    with session_scope(engine) as session:
        account = records.account_by_number(session, "100200301")
        assert records.holder_id_ends_with(session, account, "1234")
        assert not records.holder_id_ends_with(session, account, "9999")
        assert not records.holder_id_ends_with(session, account, "234")


def test_balance_of_a_customer_with_a_bill_about_to_fall_due(engine, today):
    with session_scope(engine) as session:
        account = records.account_by_number(session, "100200301")
        balance = records.balance(session, account, today)
        latest = session.execute(
            select(m.Bill).where(m.Bill.account_id == account.id).order_by(m.Bill.period.desc())
        ).scalars().first()
    assert balance.unpaid_bills == 1 and balance.overdue_bills == 0
    assert balance.amount_due == latest.total > Decimal("0")
    assert balance.next_due_date == latest.due_date > today


def test_balance_of_a_suspended_customer_counts_the_overdue_bills(engine, today):
    with session_scope(engine) as session:
        account = records.account_by_number(session, "100200302")
        balance = records.balance(session, account, today)
    assert balance.status == m.AccountStatus.suspended
    assert balance.unpaid_bills == 3 and balance.overdue_bills >= 2


def test_money_is_exact_and_datetimes_keep_their_zone(engine):
    with session_scope(engine) as session:
        bill = session.get(m.Bill, 1)
        payment = session.execute(select(m.Payment).limit(1)).scalar_one()
    assert isinstance(bill.total, Decimal)
    assert bill.total == bill.energy_amount + bill.fixed_amount + bill.public_lighting_amount + bill.taxes_amount - bill.generation_credit_amount
    assert payment.paid_at.tzinfo is not None


def test_every_demo_customer_is_in_the_records(engine):
    with session_scope(engine) as session:
        for demo in DEMO_CUSTOMERS:
            accounts = records.accounts_for_phone(session, demo.phone)
            assert [a.account_number for a in accounts] == sorted(a.account_number for a in demo.accounts)
