"""Numbered options never contradict the words: on WhatsApp and SMS the number a customer types is the one
the text shows for that option, and where the options are numbers themselves (a 5-to-1 score, 3 / 6 / 12
instalments) it is their own value. The satisfaction survey, answered by number, is stored as meant."""
from __future__ import annotations

import asyncio
import itertools
import re
from decimal import Decimal
from typing import Dict, List, Optional, Tuple

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.payments import ActionAskArrangementMonths
from bot import handoff, notifications
from bot.db import models as m
from bot.db.engine import session_scope
from bot.formatting import money
from bot.settings import Settings, get_settings
from bot.web.console.auth import create_agent
from channels.conversation import Inbound, handle_turn
from channels.outbound import reply
from channels.providers.twilio import SmsProvider, WhatsAppProvider
from channels.render import ChannelProfile, Delivery, choose, render, to_gsm7, values_of
from tests.conftest import PROJECT_ROOT

PROFILES = {"sms": SmsProvider.profile, "whatsapp": WhatsAppProvider.profile}
ALWAYS = Settings.from_environ({"LUZ_AGENT_HOURS": "00:00-24:00", "LUZ_AGENT_DAYS": "1-7"})
_ids = itertools.count(1)


def as_dicts(options) -> List[Dict]:
    return [{"title": title, "payload": payload} for title, payload in options]


def domain_replies() -> List[Tuple[str, Dict]]:
    """Every response of the domain that has buttons, each variation."""
    found = []
    for path in sorted((PROJECT_ROOT / "domain").glob("*.yml")):
        for name, variations in (yaml.safe_load(path.read_text()).get("responses") or {}).items():
            found += [(name, v) for v in variations if v.get("buttons")]
    return found


def instalment_question() -> Dict:
    """What the arrangement form asks, for an offer in the journey's own format."""
    offer = [[3, money(Decimal("28000"))], [6, money(Decimal("14500"))], [12, money(Decimal("7600"))]]
    tracker = Tracker("+573001234502", {"arrangement_offer": offer}, {"intent": {}, "entities": [], "text": ""}, [],
                      False, None, {"name": "arrangement_form"}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAskArrangementMonths().act(dispatcher, tracker, {}))
    [asked] = [message for message in dispatcher.messages if message.get("buttons")]
    return asked


def complaint_survey_question(engine) -> Dict:
    """The survey queued for a resolved complaint, as notifications.complaint_survey writes it (rolled back)."""
    with Session(engine) as session:
        complaint = session.execute(select(m.Complaint).where(m.Complaint.id.not_in(
            select(m.Survey.complaint_id).where(m.Survey.complaint_id.is_not(None)))).limit(1)).scalar_one()
        notifications.complaint_survey(session, complaint, ALWAYS)
        asked = session.execute(select(m.Notification).where(
            m.Notification.dedupe_key == f"complaint:{complaint.id}:survey")).scalar_one()
        question = {"text": asked.body, "buttons": list(asked.buttons)}
        session.rollback()
    return question


CODE_REPLIES = [
    ("survey after a handoff", {"text": handoff.SURVEY_TEXT, "buttons": as_dicts(handoff.SURVEY_OPTIONS)}),
    ("nobody attends", {"text": handoff.unavailable_text(handoff.Placement(None, False, hours="de lunes a sábado de 07:00 a 19:00")),
                        "buttons": as_dicts(handoff.UNAVAILABLE_BUTTONS)}),
    ("waiting long", {"text": handoff.patience_text(2, 5), "buttons": as_dicts(handoff.PATIENCE_BUTTONS)}),
    ("power back?", {"text": "Buenas noticias: la energía ya volvió en Kennedy. ¿Te volvió la luz a ti?",
                     "buttons": notifications.RESTORED_BUTTONS}),
    ("after the survey", {"text": handoff.SURVEY_THANKS, "buttons": [{"title": "Ver opciones", "payload": "/help"}]}),
]


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9ñ]+", text.lower()))


def number_shown(text: str, title: str) -> Optional[int]:
    """The number the customer reads beside an option: "2. Dejar mi caso", "5 Excelente", or the number the
    title itself starts with ("12 cuotas de $ 7.600")."""
    before = re.search(rf"(?:^|\s)(\d{{1,2}})[.)]?[ \t]+{re.escape(title)}(?=\s|$)", text)
    if before:
        return int(before.group(1))
    own = re.match(r"(\d{1,2})\b", title)
    return int(own.group(1)) if own and re.search(rf"(?:^|\s){re.escape(title)}(?=\s|$)", text) else None


def contradictions(message: Dict, channel: str) -> List[str]:
    """What a customer reading ``message`` on ``channel`` would take one way while Luz takes it another."""
    profile: ChannelProfile = PROFILES[channel]
    outgoing, options = render([message], limit=profile.limit, keyboards=profile.keyboards, media=profile.media,
                               gsm7=profile.gsm7)
    text = "\n".join(o.text for o in outgoing)
    shown = (lambda s: to_gsm7(s)) if profile.gsm7 else (lambda s: s)
    problems = []
    for title, payload in options:
        number = number_shown(text, shown(title))
        if number is None:
            problems.append(f"«{title}» has no number to answer with")
            continue
        if choose(str(number), options) != payload:
            problems.append(f"typing {number} for «{title}» picks {choose(str(number), options)!r}, not {payload!r}")
        own = re.match(r"(\d{1,2})\b", title)
        meant = int(payload) if payload.strip().isdigit() and len(payload.strip()) <= 2 else int(own.group(1)) if own else None
        if meant is not None and number != meant:
            problems.append(f"«{title}» is worth {meant} but is numbered {number}")
    prompt = shown(message.get("text") or "")
    for number, words in re.findall(r"\b(\d{1,2}) \(([^)]+)\)", prompt):  # "Elige de 5 (excelente) a 1 (muy mala)"
        picked = choose(number, options)
        titles = [title for title, payload in options if payload == picked]
        if not titles or _words(shown(titles[0])) != _words(words):
            problems.append(f"the text says {number} is «{words}», typing {number} picks {titles or None}")
    for low, high in re.findall(r"\b(?:de|del) (\d)\b[^.?!]*?\b(?:a|al) (\d)\b", prompt):  # a scale named in the words
        if values_of(options) is None or choose(low, options) is None or choose(high, options) is None:
            problems.append(f"the text names a scale {low}-{high} the options do not number")
    return problems


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("name, message", domain_replies() + CODE_REPLIES, ids=lambda v: v if isinstance(v, str) else "")
def test_no_number_means_something_else_than_the_option_it_numbers(name, message, channel):
    assert contradictions(message, channel) == []


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_instalments_are_numbered_by_their_count(channel):
    asked = instalment_question()
    assert contradictions(asked, channel) == []
    outgoing, options = render([asked], limit=PROFILES[channel].limit, keyboards=False, media=False)
    assert "\n12 cuotas de $ 7.600\n" in outgoing[0].text and "1. " not in outgoing[0].text
    assert choose("3", options) == "3" and choose("12", options) == "12" and choose("1", options) is None


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_the_complaint_survey_numbers_each_score_by_itself(engine, channel):
    assert contradictions(complaint_survey_question(engine), channel) == []


def test_the_check_catches_a_scale_numbered_by_place(monkeypatch):
    """The contract above can fail: the survey as it was numbered before ("1. Excelente … 5. Muy mala")."""
    import channels.render as render_module

    monkeypatch.setattr(render_module, "values_of", lambda options: None)
    problems = contradictions({"text": handoff.SURVEY_TEXT, "buttons": as_dicts(handoff.SURVEY_OPTIONS)}, "whatsapp")
    assert "«Excelente» is worth 5 but is numbered 1" in problems
    assert any("the text says 5 is «excelente»" in p for p in problems)


def test_a_scale_is_shown_and_read_by_its_own_numbers():
    outgoing, options = render([{"text": handoff.SURVEY_TEXT, "buttons": as_dicts(handoff.SURVEY_OPTIONS)}],
                               limit=SmsProvider.profile.limit, keyboards=False, media=False, gsm7=True)
    assert outgoing[0].text.endswith("a 1 (muy mala).\n5 Excelente\n4 Buena\n3 Regular\n2 Mala\n1 Muy mala\n"
                                     "Responde con el numero.")
    assert [choose(typed, options) for typed in ("5", "4.", " 3 ", "2)", "1")] == ["5", "4", "3", "2", "1"]
    assert choose("6", options) is None and choose("0", options) is None
    assert choose("excelente", options) == "5" and choose("Muy mala", options) == "1"
    # An ordinary menu, and a choice of supplies by their 9-digit account numbers, stay numbered by place.
    supplies = [("Cra 7 # 45-12 (100200303)", "100200303"), ("Calle 80 # 20-10 (100200313)", "100200313")]
    assert values_of(supplies) is None and choose("2", supplies) == "100200313"


# The survey, answered on the customer's channel --------------------------------------------------

def closed_handoff(engine, channel: str) -> str:
    """A conversation on ``channel`` a person attended and closed: its survey waits for the answer."""
    phone = f"+57311{next(_ids):03d}{channel == 'sms':d}444"
    with session_scope(engine) as session:
        agent = create_agent(session, f"csat{next(_ids)}{channel}", "Paula Gómez", "clave-segura-1")
        handoff.touch(session, agent)
        placement = handoff.request(session, conversation_id=phone, channel=channel, reason="requested",
                                    settings=ALWAYS, phone=phone)
        assert handoff.take(session, placement.handoff.id, agent)
        current = session.get(m.Handoff, placement.handoff.id)
        session.refresh(current)
        handoff.close(session, current, agent, "Se explicó la factura")
    return phone


def turn(phone: str, channel: str, text: Optional[str], messages: Optional[List[Dict]] = None) -> str:
    """What the customer reads: the survey sent as the console sends it, or the answer to what they typed."""
    sent = []

    class Recording:  # a provider that keeps what it is given
        profile = PROFILES[channel]

        async def send(self, address, message):
            sent.append(message)
            return Delivery("recorded")

    async def assistant(_message):
        raise AssertionError("a survey answer never reaches the assistant")

    async def go():
        if messages is not None:
            await reply(Recording(), phone, messages)
        else:
            await handle_turn(Inbound(channel, phone, text, {"phone": phone}), assistant, Recording())

    asyncio.run(go())
    return "\n".join(o["text"] for o in sent)


def stored(engine, phone: str):
    with session_scope(engine) as session:
        survey = session.execute(select(m.Survey).where(m.Survey.conversation_id == phone)).scalar_one()
        answers = session.execute(select(m.InteractionEvent.value).where(
            m.InteractionEvent.kind == "survey_answered", m.InteractionEvent.conversation_id == phone)).scalars().all()
        return survey.score, survey.channel, answers


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("typed, score", [("5", 5), ("1", 1), ("4", 4), ("2.", 2)])
def test_a_survey_answered_by_number_is_stored_as_the_number_typed(use_database, engine, channel, typed, score):
    phone = closed_handoff(engine, channel)
    asked = turn(phone, channel, None, [{"text": handoff.SURVEY_TEXT, "buttons": as_dicts(handoff.SURVEY_OPTIONS)}])
    assert "\n5 Excelente\n" in asked and "\n1 Muy mala\n" in asked
    assert get_settings().database_url == use_database
    answered = turn(phone, channel, typed)
    assert answered.startswith(to_gsm7(handoff.SURVEY_THANKS) if channel == "sms" else handoff.SURVEY_THANKS)
    assert stored(engine, phone) == (score, channel, [score])
