"""One answer rendered per channel: numbered options, sentence splits, SMS segments."""
from channels.render import TWILIO_LIMIT, choose, render, sms_segments, split_text, to_gsm7

ANSWER = [{"text": "Tu saldo es $ 84.350.", "buttons": [{"title": "Pagar", "payload": "/pay_bill"},
                                                        {"title": "Nada más", "payload": "/thank"}]}]


def test_buttons_become_numbered_options_where_there_are_no_keyboards():
    outgoing, options = render(ANSWER, limit=TWILIO_LIMIT, keyboards=False, media=True)
    assert outgoing[0].text == "Tu saldo es $ 84.350.\n1. Pagar\n2. Nada más\nResponde con el número."
    assert choose("2", options) == "/thank" and choose(" 1. ", options) == "/pay_bill"
    assert choose("3", options) is None and choose("100200301", options) is None
    callback = [("Hablar con un asesor", "/request_agent"), ("📞 Que me llamen", '/request_agent{"callback": true}')]
    assert choose("que me llamen", callback) == '/request_agent{"callback": true}'  # its title, typed
    assert choose("Que me llamen mañana", callback) is None  # more than the title: left to understanding


def test_buttons_stay_buttons_on_telegram():
    outgoing, _ = render(ANSWER, limit=4096, keyboards=True, media=True)
    assert outgoing[0].buttons == [("Pagar", "/pay_bill"), ("Nada más", "/thank")]
    assert "1." not in outgoing[0].text


def test_long_text_is_split_between_sentences_within_the_limit():
    text = " ".join(f"Esta es la frase número {n} de una respuesta larga." for n in range(100))
    pieces = split_text(text, 1600)
    assert len(pieces) > 1 and all(len(p) <= 1600 for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces) == text


def test_media_becomes_a_link_where_the_channel_has_none():
    outgoing, _ = render([{"text": "Tu factura:", "attachment": "https://x/f.pdf"}], limit=459, keyboards=False, media=False)
    assert outgoing[0].media_url is None and outgoing[0].text.endswith("https://x/f.pdf")


def test_sms_segments_count_gsm7_and_ucs2():
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("á" * 70) == 1 and sms_segments("á" * 71) == 2  # á is not GSM-7: UCS-2
    assert sms_segments("Tu saldo es $ 84.350") == 1


def test_sms_text_is_written_in_gsm7_to_stay_cheap():
    text = to_gsm7("¿Cuánto debo? Según tu factura, el saldo está en $ 84.350 • vence mañana")
    assert text == "¿Cuanto debo? Segun tu factura, el saldo esta en $ 84.350 - vence mañana"
    assert sms_segments(text) == 1
