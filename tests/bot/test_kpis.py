"""KPIs from a generated event history, checked against figures computed here independently (numpy, plain Python)."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from zoneinfo import ZoneInfo

import numpy
import pytest

from bot import kpis
from bot.db import models as m
from bot.db.engine import session_scope
from bot.web import report

ZONE = ZoneInfo("America/Bogota")
START, END = dt.date(2021, 3, 1), dt.date(2021, 3, 31)


@pytest.fixture(scope="module")
def history(database_url):
    """Three months of random events around March 2021 (a period no other test writes to)."""
    from bot.db.engine import engine_for

    rng = random.Random(11)
    made = []
    day = dt.date(2021, 2, 1)
    while day <= dt.date(2021, 4, 30):
        for n in range(rng.randint(5, 15)):
            at = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)), ZONE).astimezone(dt.timezone.utc)
            channel = rng.choice(["whatsapp", "sms", "telegram"])
            conversation = f"h-{day}-{n}"
            made.append(dict(kind="message_received", at=at, channel=channel, conversation_id=conversation))
            made.append(dict(kind="reply_sent", at=at, channel=channel, conversation_id=conversation,
                             latency_ms=rng.randint(80, 2000)))
            intent = rng.choice(["check_balance", "high_bill_inquiry", "report_outage", "nlu_fallback", "greet"])
            made.append(dict(kind="intent", at=at, channel=channel, conversation_id=conversation, intent=intent,
                             confidence=0.9, text=rng.choice(["xyz", "abc"]) if intent == "nlu_fallback" else None))
            if intent == "nlu_fallback":
                made.append(dict(kind="fallback", at=at, channel=channel, conversation_id=conversation))
            if intent == "high_bill_inquiry" and rng.random() < 0.5:
                made.append(dict(kind="ticket_created", at=at + dt.timedelta(minutes=2), channel=channel,
                                 conversation_id=conversation, category="complaint:facturacion", ticket="RC-H"))
            if rng.random() < 0.3:
                wait = rng.randint(5_000, 600_000)
                made.append(dict(kind="handoff_queued", at=at, channel=channel, conversation_id=conversation))
                made.append(dict(kind="handoff_taken", at=at, channel=channel, conversation_id=conversation,
                                 latency_ms=wait, agent_id=1))
                made.append(dict(kind="survey_answered", at=at, channel=channel, conversation_id=conversation,
                                 value=rng.randint(1, 5), agent_id=1))
            if rng.random() < 0.1:
                made.append(dict(kind="handoff_left", at=at, channel=channel, conversation_id=conversation))
            if rng.random() < 0.2:
                days = rng.uniform(1, 30)
                made.append(dict(kind="ticket_resolved", at=at, channel=channel, latency_ms=int(days * 86_400_000),
                                 value=int(days <= 21), category="complaint:medidor"))
        day += dt.timedelta(days=1)
    with session_scope(engine_for(database_url)) as session:
        session.add_all([m.InteractionEvent(**row) for row in made])
    return made


def in_march(rows, channel=None):
    return [r for r in rows if START <= r["at"].astimezone(ZONE).date() <= END and (channel is None or r["channel"] == channel)]


@pytest.mark.parametrize("channel", [None, "sms"])
def test_figures_match_an_independent_computation(engine, history, channel):
    with session_scope(engine) as session:
        figures = kpis.compute(session, START, END, "America/Bogota", channel, "week")
    rows = in_march(history, channel)
    of = lambda kind: [r for r in rows if r["kind"] == kind]  # noqa: E731
    replies = [r["latency_ms"] for r in of("reply_sent")]
    assert figures["responsiveness"]["reply_latency_ms_p50"] == pytest.approx(numpy.percentile(replies, 50))
    assert figures["responsiveness"]["reply_latency_ms_p95"] == pytest.approx(numpy.percentile(replies, 95))
    waits = [r["latency_ms"] / 1000 for r in of("handoff_taken")]
    assert figures["responsiveness"]["handoff_wait_s_p95"] == pytest.approx(numpy.percentile(waits, 95))
    assert figures["responsiveness"]["left_queue"] == len(of("handoff_left"))
    conversations = {r["conversation_id"] for r in of("message_received")}
    handed = {r["conversation_id"] for r in of("handoff_queued")}
    assert figures["containment"]["containment_rate"] == pytest.approx(len(conversations - handed) / len(conversations))
    assert figures["containment"]["fallback_rate"] == pytest.approx(len(of("fallback")) / len(of("intent")))
    texts = Counter(r["text"] for r in of("intent") if r["intent"] == "nlu_fallback")
    assert {i["text"]: i["count"] for i in figures["containment"]["top_not_understood"]} == dict(texts)
    high = {r["conversation_id"] for r in of("intent") if r["intent"] == "high_bill_inquiry"}
    became = {r["conversation_id"] for r in of("ticket_created")} & high
    assert figures["billing"]["high_bill_inquiries"] == len(high)
    assert figures["billing"]["high_bill_to_complaint"] == len(became)
    assert figures["billing"]["billing_questions"] == sum(
        1 for r in of("intent") if r["intent"] in ("check_balance", "high_bill_inquiry"))
    resolved = of("ticket_resolved")
    assert figures["complaints"]["resolved_within_deadline_rate"] == pytest.approx(
        sum(r["value"] for r in resolved) / len(resolved))
    assert figures["complaints"]["resolution_days_avg"] == pytest.approx(
        numpy.mean([r["latency_ms"] / 86_400_000 for r in resolved]))
    scores = [r["value"] for r in of("survey_answered")]
    assert figures["satisfaction"]["average"] == pytest.approx(numpy.mean(scores))
    assert figures["satisfaction"]["distribution"] == {str(s): scores.count(s) for s in range(1, 6)}
    weeks = Counter((r["at"].astimezone(ZONE).date() - dt.timedelta(days=r["at"].astimezone(ZONE).weekday())).isoformat()
                    for r in of("message_received"))
    assert {p: sum(c.values()) for p, c in figures["channels"]["mix_over_time"].items()} == dict(weeks)


def test_an_empty_period_has_no_figures_rather_than_zeros(engine):
    with session_scope(engine) as session:
        figures = kpis.compute(session, dt.date(2019, 1, 1), dt.date(2019, 1, 31), "America/Bogota")
    assert figures["responsiveness"]["reply_latency_ms_p50"] is None
    assert figures["containment"]["containment_rate"] is None and figures["satisfaction"]["average"] is None
    assert report.fmt(None) == "—"


def test_the_monthly_report_renders_to_html_and_pdf(engine, history, tmp_path):
    with session_scope(engine) as session:
        figures = kpis.compute(session, START, END, "America/Bogota")
    html, pdf = report.write_report(figures, "2021-03", tmp_path)
    text = html.read_text(encoding="utf-8")
    assert "Informe de servicio — marzo de 2021" in text and "Resueltas sin una persona" in text
    assert report.fmt(figures["containment"]["containment_rate"], "%") in text
    assert text.count("data:image/png;base64,") == 3
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF") and len(content) > 20_000


def test_percentiles_interpolate_like_numpy():
    values = [5, 1, 9, 3, 7, 100]
    for q in (0, 25, 50, 90, 95, 100):
        assert kpis.percentile(values, q) == pytest.approx(numpy.percentile(values, q))
    assert kpis.percentile([], 50) is None
