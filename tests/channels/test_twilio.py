"""WhatsApp and SMS end to end: signed webhook -> Rasa -> actions -> records -> Twilio emulator."""
from __future__ import annotations

import itertools
import threading

import httpx
import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot import clock, records
from bot.db import models as m
from bot.db.engine import engine_for, session_scope
from bot.formatting import money
from channels.render import is_gsm7, sms_segments
from tests.product import SMS_FROM, TWILIO_SID, TWILIO_TOKEN, WHATSAPP_FROM

pytestmark = pytest.mark.slow
_sids = itertools.count(1)


def post(product, channel: str, form: dict, signature: str = None, path: str = "webhook") -> httpx.Response:
    url = f"/webhooks/{channel}/{path}"
    public = product["env"]["PUBLIC_BASE_URL"] + url  # what Twilio signed, as seen through the proxy
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(public, form) if signature is None else signature
    return httpx.post(product["base"] + url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)


def message(phone: str, body: str, channel: str = "whatsapp", **extra) -> dict:
    sender = f"whatsapp:{phone}" if channel == "whatsapp" else phone
    to = WHATSAPP_FROM if channel == "whatsapp" else SMS_FROM
    return {"MessageSid": f"SM{next(_sids):030d}aa", "AccountSid": TWILIO_SID, "From": sender, "To": to,
            "Body": body, "NumMedia": "0", **extra}



def sent_to(twilio_api, address: str, count_before: int, timeout: float = 60):
    """Messages to ``address`` that arrived after ``count_before`` had."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = twilio_api.matching(lambda r: r["to"] == address)
        if len(got) > count_before:
            while True:  # the rest of the turn: until nothing new arrives for a second
                time.sleep(1.0)
                settled = twilio_api.matching(lambda r: r["to"] == address)
                if len(settled) == len(got):
                    return settled[count_before:]
                got = settled
        time.sleep(0.2)
    return []


def balance_of(product, number: str):
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        return records.balance(session, records.account_by_number(session, number), clock.today())


def test_whatsapp_balance_reaches_the_customer_with_the_right_amount(product, twilio_api):
    before = len(twilio_api.matching(lambda r: r["to"] == "whatsapp:+573001234501"))
    response = post(product, "whatsapp", message("+573001234501", "cuánto debo?"))
    assert response.status_code == 200 and "<Response>" in response.text
    sent = sent_to(twilio_api, "whatsapp:+573001234501", before)
    text = "\n".join(r["body"] for r in sent)
    assert money(balance_of(product, "100200301").amount_due) in text
    assert "1. Pagar" in text and sent[0]["from"] == WHATSAPP_FROM
    assert sent[0]["status_callback"].endswith("/webhooks/whatsapp/status")


def test_a_numbered_reply_maps_back_to_the_button(product, twilio_api):
    before = len(twilio_api.matching(lambda r: r["to"] == "whatsapp:+573001234501"))
    post(product, "whatsapp", message("+573001234501", "saldo"))
    sent_to(twilio_api, "whatsapp:+573001234501", before)
    before = len(twilio_api.matching(lambda r: r["to"] == "whatsapp:+573001234501"))
    post(product, "whatsapp", message("+573001234501", "1"))  # 1. Pagar
    text = "\n".join(r["body"] for r in sent_to(twilio_api, "whatsapp:+573001234501", before))
    assert "PSE" in text


def test_sms_answers_with_numbered_options_and_short_keywords(product, twilio_api):
    before = len(twilio_api.matching(lambda r: r["to"] == "+573001234502"))
    post(product, "sms", message("+573001234502", "SALDO", channel="sms"))
    sent = sent_to(twilio_api, "+573001234502", before)
    assert "suspendido por falta de pago" in sent[0]["body"] and "1. " in sent[-1]["body"]
    assert all(r["from"] == SMS_FROM and sms_segments(r["body"]) <= 3 and is_gsm7(r["body"]) for r in sent)


def test_sms_stop_is_recorded_and_confirmed_and_start_opts_back_in(product, twilio_api):
    phone = "+573001234504"
    before = len(twilio_api.matching(lambda r: r["to"] == phone))
    post(product, "sms", message(phone, "BAJA", channel="sms"))
    assert "no te enviaremos mas mensajes" in sent_to(twilio_api, phone, before)[0]["body"]
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        assert session.execute(select(m.OptOut).where(m.OptOut.address == phone)).scalar_one_or_none() is not None
    before = len(twilio_api.matching(lambda r: r["to"] == phone))
    post(product, "sms", message(phone, "ALTA", channel="sms"))
    assert "volveras a recibir" in sent_to(twilio_api, phone, before)[0]["body"]


def test_a_bad_or_missing_signature_is_refused_and_nothing_is_sent(product, twilio_api):
    before = len(twilio_api.received)
    assert post(product, "whatsapp", message("+573001234501", "cuánto debo"), signature="forged").status_code == 403
    assert post(product, "whatsapp", message("+573001234501", "cuánto debo"), signature="").status_code == 403
    import time
    time.sleep(3)
    assert len(twilio_api.received) == before


def test_a_repeated_message_sid_gets_one_reply(product, twilio_api):
    phone = "+573001234505"
    before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{phone}"))
    form = message(phone, "hola")
    assert post(product, "whatsapp", form).status_code == 200
    assert post(product, "whatsapp", form).status_code == 200  # Twilio's retry
    first = sent_to(twilio_api, f"whatsapp:{phone}", before)
    import time
    time.sleep(3)
    assert len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{phone}")) - before == len(first) == 1


@pytest.mark.parametrize("form_extra, expected", [
    ({"Body": ""}, "mensaje vacío"),
    ({"Body": "x" * 1500}, "muy largo"),
    ({"Body": "", "NumMedia": "1", "MediaUrl0": "https://x/a.ogg", "MediaContentType0": "audio/ogg"}, "no puedo escuchar audios"),
])
def test_empty_oversized_and_media_only_messages_get_a_polite_answer(product, twilio_api, form_extra, expected):
    phone = f"+5731099900{len(expected):02d}"
    before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{phone}"))
    post(product, "whatsapp", {**message(phone, ""), **form_extra})
    assert expected in sent_to(twilio_api, f"whatsapp:{phone}", before)[0]["body"]


def test_a_whatsapp_location_places_a_hazard(product, twilio_api):
    phone = "+573109990020"
    before = len(twilio_api.matching(lambda r: r["to"] == f"whatsapp:{phone}"))
    post(product, "whatsapp", message(phone, "se cayó un poste y hay cables en el piso"))
    first = sent_to(twilio_api, f"whatsapp:{phone}", before)
    assert first[0]["body"].startswith("⚠️")
    before += len(first)
    post(product, "whatsapp", message(phone, "", Latitude="4.6097", Longitude="-74.0817"))
    reply = sent_to(twilio_api, f"whatsapp:{phone}", before)[0]["body"]
    assert "4.6097, -74.0817" in reply
    ticket = next(word.strip(".,;") for word in reply.split() if word.startswith("EM-"))
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        report = session.execute(select(m.OutageReport).where(m.OutageReport.ticket == ticket)).scalar_one()
    assert (float(report.latitude), float(report.longitude)) == (4.6097, -74.0817)


def test_delivery_status_callbacks_are_recorded(product, twilio_api):
    before = len(twilio_api.matching(lambda r: r["to"] == "whatsapp:+573001234503"))
    post(product, "whatsapp", message("+573001234503", "hola"))
    sid = sent_to(twilio_api, "whatsapp:+573001234503", before)[0]["sid"]
    callback = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "63016", "AccountSid": TWILIO_SID}
    assert post(product, "whatsapp", callback, path="status").status_code == 204
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        row = session.execute(select(m.OutboundMessage).where(m.OutboundMessage.provider_id == sid)).scalar_one()
    assert row.status == "failed" and row.error_code == "63016"


def test_twenty_customers_writing_at_once_each_get_their_own_answer(product, twilio_api):
    phones = [f"+5731199{n:05d}" for n in range(20)]
    counts = {p: len(twilio_api.matching(lambda r, p=p: r["to"] == f"whatsapp:{p}")) for p in phones}
    threads = [threading.Thread(target=post, args=(product, "whatsapp", message(p, "hola buenas"))) for p in phones]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for phone in phones:
        sent = sent_to(twilio_api, f"whatsapp:{phone}", counts[phone], timeout=90)
        assert sent and "Soy Luz" in sent[0]["body"]


def test_a_photo_sent_during_a_complaint_is_attached_to_the_ticket(product, twilio_api):
    phone, address = "+573001234506", "whatsapp:+573001234506"

    def turn(form):
        before = len(twilio_api.matching(lambda r: r["to"] == address))
        post(product, "whatsapp", form)
        return "\n".join(r["body"] for r in sent_to(twilio_api, address, before))

    assert "¿Sobre qué es tu reclamo?" in turn(message(phone, "quiero poner un reclamo"))
    assert "Cuéntame qué pasó" in turn(message(phone, "3"))  # 3. Daño de electrodomésticos
    photo = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
    assert "Recibí tu foto" in turn(message(phone, "", NumMedia="1", MediaUrl0=photo, MediaContentType0="image/jpeg"))
    reply = turn(message(phone, "con el bajón de ayer se quemó la nevera"))
    ticket = next(word.strip(".,") for word in reply.split() if word.startswith("RC-"))
    with session_scope(engine_for(product["env"]["DATABASE_URL"])) as session:
        complaint = session.execute(select(m.Complaint).where(m.Complaint.ticket == ticket)).scalar_one()
    assert complaint.category == "danos_electrodomesticos" and complaint.channel == "whatsapp"
    assert complaint.attachments == [{"type": "image", "url": photo}]
