"""Luz's answers written for the ear, and the TwiML a call hears (the phone line, ``channels/voice.py``).

What reads well in a chat does not sound well: "$ 84.350" becomes "ochenta y cuatro mil trescientos cincuenta
pesos", "vence el 12 de diciembre" "vence el doce de diciembre", "3:30 p. m." "tres y media de la tarde", an
account number is read digit by digit in threes, a ticket "AV-0000123" as "A V ciento veintitrés". Masked data is
never spelled: "Calle 45 # ***" is said "Calle cuarenta y cinco", "***4501" "el número terminado en cuatro cinco
cero uno", "Ana M. G." "Ana". Links are never read: they are taken out for a text message to the caller
("te envié el enlace por mensaje de texto"). Buttons become a menu said after the message ("di «pagar» o
marca uno": Luz speaks to the caller as "tú" throughout) and answered by voice or on the keypad; what a chat asks
to "escribir" is asked to say.

Nothing here talks to the network or imports Rasa: the outbound calls (``channels/providers/voice.py``) use it too.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from twilio.twiml.voice_response import Gather, VoiceResponse

from bot.spoken import MONTHS, date_words, day_words, digits_words, money_words, number_words, time_words
from bot.text import fold
from channels.render import values_of

URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SPACE = r"[ \u00a0\u202f]"
_MONEY = re.compile(rf"(-?)\${_SPACE}?(\d{{1,3}}(?:\.\d{{3}})+|\d+)(?:,\d+)?")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MONTHS = "|".join(MONTHS)
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}) de ({_MONTHS})(?: de (\d{{4}}))?\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b({_MONTHS}) (?:de )?(\d{{4}})\b", re.IGNORECASE)
_TIME = re.compile(rf"\b(\d{{1,2}}):(\d{{2}})(?:{_SPACE}?([ap])\.?{_SPACE}?m\.?)?", re.IGNORECASE)
_TICKET = re.compile(r"\b([A-Z]{2})-0*(\d+)\b")
_PHONE = re.compile(r"(?<![\d.])(\+?\d{1,3}(?:[ -]\d{2,4}){2,4})(?![\d.])")
_MASKED_ADDRESS = re.compile(r"\s*#\s*\*+")
_MASKED_DIGITS = re.compile(r"\*+(\d+)")
_INITIALS = re.compile(r"(?:\s[A-ZÁÉÍÓÚÑ]\.)+(?=[\s,.;:)]|$)")
_LONG_DIGITS = re.compile(r"\b\d{5,}\b")
_GROUPED = re.compile(r"\b\d{1,3}(?:\.\d{3})+(?:,\d+)?\b")
_DECIMAL = re.compile(r"\b(\d+),(\d+)\b")
_INTEGER = re.compile(r"\b\d{1,4}\b")
_NOT_SAID = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d•*_~`|<>\[\]{}]")
_CHAT_WORDS = [  # what a chat asks to write, asked to say
    (re.compile(r"\bescr[ií]bemelo\b"), "dímelo"), (re.compile(r"\bEscr[ií]bemelo\b"), "Dímelo"),
    (re.compile(r"\bescr[ií]beme\b"), "dime"), (re.compile(r"\bEscr[ií]beme\b"), "Dime"),
    (re.compile(r"\bescribe\b"), "di"), (re.compile(r"\bEscribe\b"), "Di"),
    (re.compile(r"\bresponde\b"), "contesta"), (re.compile(r"\bResponde\b"), "Contesta"),
    (re.compile(r"\bescribes desde\b"), "llamas desde"), (re.compile(r"\bescríbenos\b"), "llámanos o escríbenos"),
    (re.compile(r"por este mismo chat"), "por mensaje de texto"), (re.compile(r"\bpor este chat\b"), "por mensaje de texto"),
    (re.compile(r"\beste chat\b"), "esta llamada"), (re.compile(r"\bescribirnos\b"), "llamarnos"),
    (re.compile(r"\bescribirme\b"), "llamarme"),
]
_SHORT_MONTHS = {"ene": "enero", "feb": "febrero", "mar": "marzo", "abr": "abril", "may": "mayo", "jun": "junio",
                 "jul": "julio", "ago": "agosto", "sep": "septiembre", "sept": "septiembre", "oct": "octubre",
                 "nov": "noviembre", "dic": "diciembre"}
_SHORT_MONTH_YEAR = re.compile(rf"\b({'|'.join(_SHORT_MONTHS)})\.? (\d{{2}})\b")
_SHOUTED = re.compile(r"\b[A-ZÁÉÍÓÚÑ]{5,}\b")
_MASCULINE = r"(?=\s(?:kilovatios?|pesos?|d[ií]as|meses|años|minutos|d[ií]gitos|kil[oó]metros)\b)"
_FEMININE = r"(?=\s(?:horas?|cuotas?|facturas?|semanas?)\b)"
_AGREEMENT = [(re.compile(rf"\bveintiuno{_MASCULINE}"), "veintiún"), (re.compile(rf"\buno{_MASCULINE}"), "un"),
              (re.compile(rf"\bveintiuno{_FEMININE}"), "veintiuna"), (re.compile(rf"\buno{_FEMININE}"), "una"),
              (re.compile(r"\b(a|desde|hasta) las una\b"), r"\1 la una"),
              (re.compile(r"(?<!y )\bun kilovatios\b"), "un kilovatio")]
_UNITS = [(re.compile(r"\bpor kWh\b"), "por kilovatio hora"), (re.compile(r"\bkWh\b"), "kilovatios hora"),
          (re.compile(r"\bkWp\b"), "kilovatios pico"), (re.compile(r"\bkW\b"), "kilovatios"),
          (re.compile(r"\s?%"), " por ciento"), (re.compile(r"\s/\s"), ", "),
          (re.compile(r"#"), "número "), (re.compile(r"&"), " y "), (re.compile(r"\+"), " más ")]
AGENT_KEY = "0"
LINK_SENT = "Te envié el enlace por mensaje de texto."
KEYPAD = "Puedes usar el teclado del teléfono y terminar con la tecla numeral."


@dataclass
class Spoken:
    """One turn for the ear: what to say, the menu it offers, and the links to send by text message."""

    sentences: List[str] = field(default_factory=list)
    options: List[Tuple[str, str]] = field(default_factory=list)  # (title, payload), in the order of their keys
    links: List[str] = field(default_factory=list)
    asks_digits: bool = False  # an account number or the second factor: typed on the keypad

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def for_the_ear(text: str) -> str:
    """A chat message as it should be said: figures in words, no masks, no links, no symbols."""
    said = re.sub(r"\s*\baqu[ií]:?\s*(?=(?:https?://|www\.))", " ", text)  # "paga aquí: <link>": the link goes by text
    said = URL.sub("", said)
    said = re.sub(r"\b12:00\s?m\.", "12:00 p. m.", said)  # "12:00 m.": noon, as Colombia writes it
    said = _MASKED_ADDRESS.sub("", said)
    said = _MASKED_DIGITS.sub(lambda found: f"el número terminado en {digits_words(found.group(1), 4)}", said)
    said = re.sub(r"\bal el número\b", "al número", said)
    said = _INITIALS.sub("", said)
    for pattern, replacement in _CHAT_WORDS:
        said = pattern.sub(replacement, said)
    said = _MONEY.sub(lambda f: ("menos " if f.group(1) else "") + money_words(int(f.group(2).replace(".", ""))), said)
    said = _ISO_DATE.sub(lambda f: _date(int(f.group(1)), int(f.group(2)), int(f.group(3))), said)
    said = _SLASH_DATE.sub(lambda f: _date(int(f.group(3)), int(f.group(2)), int(f.group(1))), said)
    said = _DAY_MONTH.sub(_day_month, said)
    said = _MONTH_YEAR.sub(lambda f: f"{f.group(1)} de {number_words(int(f.group(2)))}", said)
    said = _SHORT_MONTH_YEAR.sub(lambda f: f"{_SHORT_MONTHS[f.group(1)]} de {number_words(2000 + int(f.group(2)))}", said)
    said = _SHOUTED.sub(lambda f: f.group(0).lower(), said)  # "ESTIMADA": emphasis on a screen, shouting on a call
    said = _TIME.sub(_time, said)
    said = re.sub(r"(\d{5,})-(\d+)", r"\1, \2", said)  # a payment reference "100200304-202610"
    said = re.sub(r"(\d)-(\d)", r"\1 \2", said)  # an address "# 9-31": "nueve treinta y uno"
    said = _TICKET.sub(lambda f: f"{' '.join(f.group(1))} {number_words(int(f.group(2)))}", said)
    said = _PHONE.sub(lambda f: ", ".join(digits_words(part, 4) for part in re.split(r"[ -]", f.group(1).lstrip("+"))), said)
    said = _LONG_DIGITS.sub(lambda f: digits_words(f.group(0)), said)
    said = _GROUPED.sub(_grouped, said)
    said = _DECIMAL.sub(lambda f: f"{number_words(int(f.group(1)))} coma {digits_words(f.group(2), 9)}", said)
    for pattern, replacement in _UNITS:
        said = pattern.sub(replacement, said)
    said = _INTEGER.sub(lambda f: number_words(int(f.group(0))), said)
    for pattern, replacement in _AGREEMENT:  # "setenta y un kilovatios", "veintiuna horas", "a la una"
        said = pattern.sub(replacement, said)
    said = _NOT_SAID.sub("", said)
    said = re.sub(r"\(\s*\)", "", said)
    said = re.sub(r"\(\s+", "(", said)
    said = re.sub(r"\s*\n+\s*", ". ", said)
    said = re.sub(r"\s+([,.;:?!])", r"\1", said)
    said = re.sub(r"([.;:?!])\.+", r"\1", said)
    said = re.sub(r":\s*\.", ".", said)
    return re.sub(r"\s{2,}", " ", said).strip(" ,")


def _date(year: int, month: int, day_of_month: int) -> str:
    try:
        return date_words(dt.date(year, month, day_of_month), with_year=True)
    except ValueError:
        return digits_words(f"{year}{month:02d}{day_of_month:02d}", 4)


def _day_month(found: re.Match) -> str:
    said = f"{day_words(int(found.group(1)))} de {found.group(2)}"
    return f"{said} de {number_words(int(found.group(3)))}" if found.group(3) else said


def _time(found: re.Match) -> str:
    hour, minute, half = int(found.group(1)), int(found.group(2)), (found.group(3) or "").lower()
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    if hour >= 24 or minute >= 60:
        return found.group(0)
    rest = found.string[found.end():]
    ends_sentence = found.group(0).endswith(".") and (not rest.strip() or re.match(r"\s+[A-ZÁÉÍÓÚÑ¿¡]", rest))
    return time_words(hour, minute) + ("." if ends_sentence else "")  # "p. m." took the sentence's full stop


def _grouped(found: re.Match) -> str:
    whole, _, decimals = found.group(0).partition(",")
    said = number_words(int(whole.replace(".", "")))
    return f"{said} coma {digits_words(decimals, 9)}" if decimals else said


_ACCOUNT_IN_TITLE = re.compile(r"\(\s*(\d{6,})\s*\)")


def option_label(title: str) -> str:
    """A button's title as said in a menu: lower-case words, figures in words, no masks; a supply's account number
    shortened to its end ("Calle 45 # *** (100200303)": "calle cuarenta y cinco, cuenta terminada en tres cero tres")."""
    title = _ACCOUNT_IN_TITLE.sub(lambda f: f", cuenta terminada en {digits_words(f.group(1)[-3:])}", title)
    said = for_the_ear(title).strip(" .")
    return said[:1].lower() + said[1:] if said[:2] != said[:2].upper() else said


def menu_sentences(options: Sequence[Tuple[str, str]]) -> List[str]:
    """ "Di «pagar» o marca uno." per option; where the options are values (a 5-to-1 score), the key is the value."""
    values = values_of(options)
    keys = [str(v) for v in values] if values is not None else [str(i) for i in range(1, len(options) + 1)]
    return [f"Di «{option_label(title)}» o marca {number_words(int(key))}." for key, (title, _p) in zip(keys, options,
                                                                                                   strict=False)]


def asks_for_digits(text: str) -> bool:
    """Whether a message asks for a number typed best on the keypad: an account, the id's last digits, a reading."""
    if KEYPAD in text:  # a turn said before, which pointed to the keypad
        return True
    plain = fold(text).strip()
    return bool(re.search(r"numero de cuenta|digitos|lectura de tu medidor", plain)) and (
        plain.endswith("?") or bool(re.search(r"\bdime\b", plain)))


def speak(messages: Sequence[Dict]) -> Spoken:
    """Rasa-style messages (text, buttons, image, attachment) as one turn for the ear."""
    spoken = Spoken()
    for message in messages:
        text = (message.get("text") or "").strip()
        spoken.links += URL.findall(text)
        for key in ("image", "attachment"):
            link = message.get(key)
            if isinstance(link, dict):
                link = link.get("payload", {}).get("src") or link.get("url")
            if isinstance(link, str) and link:
                spoken.links.append(link)
        if text:
            spoken.asks_digits = spoken.asks_digits or asks_for_digits(text)
            said = for_the_ear(text)
            if said:
                spoken.sentences.append(said if said[-1] in ".?!" else said + ".")
        if spoken.links and LINK_SENT not in spoken.sentences:  # said right after what it belongs to
            spoken.sentences.append(LINK_SENT)
        buttons = [(b.get("title", ""), b.get("payload", "")) for b in message.get("buttons") or []]
        if buttons:
            spoken.options = buttons
    if spoken.asks_digits:
        spoken.sentences.append(KEYPAD)
    return spoken


@dataclass(frozen=True)
class VoiceStyle:
    """How Luz sounds and listens (``LUZ_VOICE_VOICE``, ``LUZ_VOICE_SAY_LANGUAGE``, ``LUZ_VOICE_LANGUAGE``)."""

    voice: str = "Polly.Lupe"
    say_language: str = "es-US"
    listen_language: str = "es-CO"
    timeout_seconds: int = 6


def say(parent, text: str, style: VoiceStyle) -> None:
    parent.say(text, voice=style.voice or None, language=style.say_language or None)


def gather_twiml(sentences: Sequence[str], options: Sequence[Tuple[str, str]], action: str, style: VoiceStyle,
                 pause_first: int = 0, closing: Sequence[str] = (), digits: bool = False) -> str:
    """Say the turn and listen: speech or keys, posted to ``action`` even when nothing was heard (silence).
    ``pause_first``: seconds of silence before speaking (a call Luz placed: the customer says "¿aló?");
    ``closing``: said after the menu; ``digits``: a number is asked for (an account, the second factor), so one key
    does not end the turn even where a menu is offered (a menu alone is answered with one key)."""
    response = VoiceResponse()
    if pause_first:
        response.pause(length=pause_first)
    single_key = not digits and 0 < len(options) <= 9 and all(len(key) == 1 for key in _keys(options))
    gather = Gather(input="speech dtmf", language=style.listen_language, action=action, method="POST",
                    action_on_empty_result=True, speech_timeout="auto", timeout=style.timeout_seconds,
                    finish_on_key="#", num_digits=1 if single_key else None,
                    hints=", ".join([option_label(title) for title, _payload in options] + ["asesor"]))
    for sentence in list(sentences) + menu_sentences(options) + list(closing):
        say(gather, sentence, style)
    response.append(gather)
    return str(response)


def _keys(options: Sequence[Tuple[str, str]]) -> List[str]:
    values = values_of(options)
    return [str(v) for v in values] if values is not None else [str(i) for i in range(1, len(options) + 1)]


def goodbye_twiml(sentences: Sequence[str], style: VoiceStyle) -> str:
    response = VoiceResponse()
    for sentence in sentences:
        say(response, sentence, style)
    response.hangup()
    return str(response)


def transfer_twiml(sentences: Sequence[str], number: str, action: str, style: VoiceStyle,
                   caller_id: Optional[str] = None) -> str:
    """Say what must be said first (safety instructions, a ticket), then put a person on the line; Twilio posts
    how the transfer went (``DialCallStatus``) to ``action``, so a busy line is not the end of the call."""
    response = VoiceResponse()
    for sentence in sentences:
        say(response, sentence, style)
    response.dial(number, action=action, method="POST", caller_id=caller_id or None)
    return str(response)


def retry_twiml(action: str) -> str:
    """A moment's pause and the same request again: its first copy is still being answered."""
    response = VoiceResponse()
    response.pause(length=2)
    response.redirect(action, method="POST")
    return str(response)
