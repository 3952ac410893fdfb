"""Luz's answers for the ear: figures in words, no masks, no links, buttons as a spoken and keyed menu."""
import re
import xml.etree.ElementTree as ET

import pytest

from channels.speech import (
    LINK_SENT,
    VoiceStyle,
    asks_for_digits,
    for_the_ear,
    gather_twiml,
    menu_sentences,
    speak,
    transfer_twiml,
)

# What a chat message may hold that the ear cannot follow: a figure, a date, a time, a mask, a link.
UNSPEAKABLE = re.compile(r"\d|\$|https?://|www\.|\*|#|kWh|%")


@pytest.mark.parametrize("written, said", [
    ("Tu saldo es $ 84.350 y vence el 12 de diciembre.",
     "Tu saldo es ochenta y cuatro mil trescientos cincuenta pesos y vence el doce de diciembre."),
    ("El corte empieza el 2026-12-12.", "El corte empieza el doce de diciembre de dos mil veintiséis."),
    ("Vuelve hoy a las 3:30 p. m.", "Vuelve hoy a las tres y media de la tarde."),
    ("Atendemos de lunes a sábado de 07:00 a 19:00.", "Atendemos de lunes a sábado de siete de la mañana a siete de la noche."),
    ("Tu reporte es el AV-0000123.", "Tu reporte es el A V ciento veintitrés."),
    ("Te llamaremos al ***4501.", "Te llamaremos al número terminado en cuatro cinco cero uno."),
    ("El de Calle 45 # *** está al día.", "El de Calle cuarenta y cinco está al día."),
    ("Hola Ana M. G., consumiste 1.234 kWh.", "Hola Ana, consumiste mil doscientos treinta y cuatro kilovatios hora."),
    ("Emergencias: 601 555 0100 (24 horas). Escribe «salir».",
     "Emergencias: seis cero uno, cinco cinco cinco, cero uno cero cero (veinticuatro horas). Di «salir»."),
    ("⚠️ Aléjate del cable.", "Aléjate del cable."),
    ("Promedio: 199 kWh (+73 %). La lectura fue ESTIMADA.",
     "Promedio: ciento noventa y nueve kilovatios hora (más setenta y tres por ciento). La lectura fue estimada."),
    ("Vuelve hoy a las 1:00 p. m.; exportaste 1.471 kWh.", "Vuelve hoy a la una de la tarde; exportaste mil cuatrocientos "
                                                            "setenta y un kilovatios hora."),
    ("nov 25: 151 kWh, a $ 655 por kWh", "noviembre de dos mil veinticinco: ciento cincuenta y un kilovatios hora, a "
                                          "seiscientos cincuenta y cinco pesos por kilovatio hora"),
    ("¡Gracias por escribirnos! 21 horas, 1 cuota. Escríbemelo de nuevo.",
     "¡Gracias por llamarnos! veintiuna horas, una cuota. Dímelo de nuevo."),
    ("Paga con PSE aquí: https://pagos.example.co/pse?ref=100200304-202610 (referencia 100200304-202610).",
     "Paga con PSE (referencia uno cero cero, dos cero cero, tres cero cuatro, dos cero dos, seis uno cero)."),
    ("Sábados de 8:00 a. m. a 12:00 m. en la Calle 57 # 9-31.",
     "Sábados de ocho de la mañana a doce del mediodía en la Calle cincuenta y siete número nueve treinta y uno."),
])
def test_chat_text_is_rewritten_for_the_ear(written, said):
    assert for_the_ear(written) == said
    assert not UNSPEAKABLE.search(for_the_ear(written))


def test_links_are_taken_out_to_be_sent_by_text_message():
    spoken = speak([{"text": "Paga en línea: https://pagos.example.co/pse?ref=1002003019 con PSE."},
                    {"text": "Tu factura", "attachment": "https://luz.example.co/files/bill.pdf?sig=x"}])
    assert spoken.links == ["https://pagos.example.co/pse?ref=1002003019", "https://luz.example.co/files/bill.pdf?sig=x"]
    assert spoken.sentences == ["Paga en línea: con PSE.", LINK_SENT, "Tu factura."] and "http" not in spoken.text


def test_buttons_become_a_menu_said_and_keyed():
    spoken = speak([{"text": "¿Qué quieres hacer?", "buttons": [{"title": "Pagar", "payload": "/pay_bill"},
                                                                 {"title": "Ver opciones", "payload": "/help"}]}])
    assert menu_sentences(spoken.options) == ["Di «pagar» o marca uno.", "Di «ver opciones» o marca dos."]
    scores = [("Excelente", "5"), ("Buena", "4"), ("Regular", "3"), ("Mala", "2"), ("Muy mala", "1")]
    assert menu_sentences(scores)[0] == "Di «excelente» o marca cinco."  # a value keeps its own key


def test_asking_for_the_account_or_the_digits_points_to_the_keypad():
    spoken = speak([{"text": "Dime los últimos 4 dígitos del documento de identidad del titular."}])
    assert spoken.asks_digits and "teclado" in spoken.text
    assert asks_for_digits(spoken.text)  # said again after a silence, it still asks for digits
    told = speak([{"text": "También puedes pagar en bancos con tu número de cuenta."}])  # not a question
    assert not told.asks_digits and "teclado" not in told.text


def test_the_twiml_listens_for_speech_and_keys_in_colombian_spanish():
    style = VoiceStyle("Polly.Lupe", "es-US", "es-CO")
    root = ET.fromstring(gather_twiml(["Hola."], [("Pagar", "/pay_bill")], "https://luz.example.co/webhooks/voice/gather?turn=2",
                                      style))
    gather = root.find("Gather")
    assert gather.get("input") == "speech dtmf" and gather.get("language") == "es-CO"
    assert gather.get("action").endswith("turn=2") and gather.get("actionOnEmptyResult") == "true"
    assert gather.get("numDigits") == "1"  # one key picks an option
    asking = ET.fromstring(gather_twiml(["¿Cuál es tu número de cuenta?"], [("Ver opciones", "/help")], "https://x/y",
                                        style, digits=True)).find("Gather")
    assert asking.get("numDigits") is None  # an account number is nine keys, even beside a menu
    says = [(say.text, say.get("voice")) for say in gather.findall("Say")]
    assert says == [("Hola.", "Polly.Lupe"), ("Di «pagar» o marca uno.", "Polly.Lupe")]


def test_a_transfer_says_first_then_dials_and_reports_how_it_went():
    root = ET.fromstring(transfer_twiml(["Aléjate del cable."], "+576015550100", "https://luz.example.co/x?turn=3",
                                        VoiceStyle()))
    assert [child.tag for child in root] == ["Say", "Dial"]
    assert root.find("Dial").text == "+576015550100" and root.find("Dial").get("action").endswith("turn=3")
