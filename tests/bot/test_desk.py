"""How agents organise their work, against the real database: labels, status, search, a customer's timeline,
and the WhatsApp window that decides whether free text may go."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from bot import clock, desk, handoff
from bot.db import models as m
from bot.db.engine import session_scope
from bot.settings import Settings
from bot.web.console.auth import create_agent

_ids = itertools.count(1)
ALWAYS = Settings.from_environ({"LUZ_AGENT_HOURS": "00:00-24:00", "LUZ_AGENT_DAYS": "1-7"})
START = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture()
def taken(engine):
    """A WhatsApp conversation of Pedro's (+573001234506) taken by a new agent."""
    with clock.travel_to(START) as moved, session_scope(engine) as session:
        agent = create_agent(session, f"desk{next(_ids)}", "Dana Prueba", "clave-segura")
        handoff.touch(session, agent, clock.now())
        placement = handoff.request(session, conversation_id="+573001234506", channel="whatsapp", reason="requested",
                                    settings=ALWAYS, phone="+573001234506", summary="factura muy alta")
        assert handoff.take(session, placement.handoff.id, agent, clock.now())
        ids = placement.handoff.id, agent.id
    yield ids
    with session_scope(engine) as session:
        session.get(m.Handoff, ids[0]).status = m.HandoffStatus.closed
    del moved


def test_the_utility_s_common_labels_are_seeded_and_put_on_and_off(engine, taken):
    with session_scope(engine) as session:
        assert [label.name for label in desk.labels(session)] == ["corte", "facturación", "peligro", "prosumidor", "reclamo"]
        item = session.get(m.Handoff, taken[0])
        assert desk.set_label(session, item, "facturación", True) == ["facturación"]
        assert desk.set_label(session, item, "reclamo", True) == ["facturación", "reclamo"]
        assert desk.set_label(session, item, "facturación", False) == ["reclamo"]
        with pytest.raises(desk.DeskError):
            desk.set_label(session, item, "inventada", True)


def test_status_pending_and_a_snooze_needs_a_future_time(engine, taken):
    now = clock.now()
    with session_scope(engine) as session:
        item, agent = session.get(m.Handoff, taken[0]), session.get(m.Agent, taken[1])
        desk.set_status(session, item, "pending", now, agent)
        assert item.desk_status == "pending"
        with pytest.raises(desk.DeskError, match="hora futura"):
            desk.set_status(session, item, "snoozed", now, agent, until=now - dt.timedelta(minutes=1))
        desk.set_status(session, item, "snoozed", now, agent, until=now + dt.timedelta(hours=2))
        assert (item.desk_status, item.snoozed_until) == ("snoozed", now + dt.timedelta(hours=2))
        handoff.add_message(session, item, "customer", "hola de nuevo", now=now)
        assert (item.desk_status, item.snoozed_until) == ("open", None)


def test_search_finds_conversations_by_name_account_phone_ticket_and_words(engine, taken):
    with session_scope(engine) as session:
        item = session.get(m.Handoff, taken[0])
        handoff.add_message(session, item, "note", "Revisar la lectura estimada del medidor", session.get(m.Agent, taken[1]))
        ticket = session.execute(select(m.Complaint.ticket).join(m.Account).where(
            m.Account.account_number == "100200306")).scalars().first()
        for query in ("Pedro Pablo", "100200306", "300 123 4506", "lectura estimada", "factura muy alta", ticket):
            assert taken[0] in [found.id for found in desk.search(session, query)], query
        assert desk.search(session, "x") == []
        assert taken[0] not in [found.id for found in desk.search(session, "Ana Lucía")]


def test_the_timeline_joins_conversations_and_tickets_across_channels(engine, taken):
    with session_scope(engine) as session:
        item = session.get(m.Handoff, taken[0])
        earlier = m.Handoff(conversation_id="tg:777", channel="telegram", reason="requested", priority=1,
                            customer_id=item.customer_id, status=m.HandoffStatus.closed, desk_status="resolved",
                            resolution="Se explicó el recargo", created_at=clock.now() - dt.timedelta(days=40))
        item.customer.telegram_user_id = "778"  # a Telegram chat linked to Pedro, where he was never identified
        unlinked = m.Handoff(conversation_id="tg:778", channel="telegram", reason="fallback", priority=2,
                             status=m.HandoffStatus.left, desk_status="resolved", created_at=clock.now() - dt.timedelta(days=3))
        by_sms = m.Handoff(conversation_id="+573001234506", channel="sms", reason="requested", priority=2,
                           status=m.HandoffStatus.closed, desk_status="resolved", created_at=clock.now() - dt.timedelta(days=9))
        session.add_all([earlier, unlinked, by_sms])
        session.flush()
        moments = desk.timeline(session, item)
        kinds = {moment.kind for moment in moments}
        assert {"conversation", "complaint"} <= kinds
        titles = {moment.handoff_id: moment.title for moment in moments if moment.handoff_id}
        assert titles[earlier.id] == "Conversación por Telegram" and titles[unlinked.id] == "Conversación por Telegram"
        assert titles[by_sms.id] == "Conversación por SMS"
        item.customer.telegram_user_id = None
        assert [moment.at for moment in moments] == sorted((moment.at for moment in moments), reverse=True)


def test_the_whatsapp_window_closes_24_hours_after_the_customer_last_wrote(engine, taken):
    now = clock.now()
    phone = f"+57314555{next(_ids):04d}"
    with session_scope(engine) as session:
        item = m.Handoff(channel="whatsapp", conversation_id=phone)
        assert not desk.window_open(session, item, now)  # never wrote: only a template may start it
        session.add(m.InboundMessage(channel="whatsapp", provider_id=f"SMdesk{next(_ids)}", sender=phone,
                                     received_at=now - dt.timedelta(hours=21, minutes=30)))
        session.flush()
        closes = desk.window_closes_at(session, item)
        assert desk.window_open(session, item, now)
        assert desk.describe_window(closes, now) == ("Ventana de WhatsApp: quedan 2 h 30 min para responder con "
                                                     "texto libre.")
        later = now + dt.timedelta(hours=3)
        assert not desk.window_open(session, item, later)
        assert "solo admite una plantilla" in desk.describe_window(closes, later)
