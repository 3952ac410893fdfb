"""One answer, rendered for each channel's limits.

Rasa collects the assistant's messages for a turn as dicts (text, buttons,
image, attachment). Channels without buttons get numbered options, and the
options are returned so a later "1" or "2" maps back to the button's payload.
Where the options are themselves numbers (a 5-to-1 score, 3 / 6 / 12 instalments)
the number shown and typed is the option's own value, never its place in the list:
"5" is always 5. Long text is split at sentence boundaries within the channel's limit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from bot.text import fold

TELEGRAM_LIMIT = 4096
TWILIO_LIMIT = 1600
SMS_PREFERRED = 459  # three concatenated GSM-7 segments: beyond this SMS gets costly and hard to read

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")


@dataclass
class Outgoing:
    """What one provider message carries."""

    text: str = ""
    media_url: Optional[str] = None
    buttons: List[Tuple[str, str]] = field(default_factory=list)  # kept for channels with keyboards


@dataclass(frozen=True)
class ChannelProfile:
    """What a channel can show: its length limit, buttons, media, and whether it is GSM-7 text (SMS)."""

    limit: int
    keyboards: bool
    media: bool
    gsm7: bool = False
    menus: bool = True  # options are remembered on the address, so a reply "1" maps back (not for phone calls)


@dataclass
class Delivery:
    """What a provider said of one message: its id, or why not (and whether trying again may help)."""

    provider_id: Optional[str] = None
    error: Optional[str] = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.provider_id is not None


_GSM7_FALLBACK = str.maketrans({"á": "a", "í": "i", "ó": "o", "ú": "u", "Á": "A", "Í": "I", "Ó": "O", "Ú": "U",
                                "ê": "e", "â": "a", "ô": "o", "ç": "c", "•": "-", "«": '"', "»": '"', "“": '"',
                                "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...", "⚠": "!", "️": "",
                                "🌱": "", "📱": "", "\u202f": " ", "\u00a0": " "})


def to_gsm7(text: str) -> str:
    """The closest text in the GSM-7 alphabet: an SMS with one "á" costs more than twice as much (UCS-2)."""
    text = text.translate(_GSM7_FALLBACK)
    return "".join(ch if ch in GSM7 else "?" for ch in text) if not is_gsm7(text) else text


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7 for ch in text)


def sms_segments(text: str) -> int:
    """How many SMS a text costs: GSM-7 160/153 characters, UCS-2 (accents like á, emoji) 70/67."""
    if not text:
        return 0
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // multi)


def split_text(text: str, limit: int) -> List[str]:
    """Pieces of at most ``limit`` characters, cut between sentences (or words, for a huge sentence)."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    pieces: List[str] = []
    current = ""
    for sentence in [s for s in _SENTENCE_END.split(text) if s.strip()]:
        while len(sentence) > limit:  # one sentence longer than a message: cut at a space
            cut = sentence.rfind(" ", 0, limit) or limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        candidate = f"{current} {sentence}".strip() if current else sentence
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = sentence
    if current:
        pieces.append(current)
    return pieces


def values_of(options: Sequence[Tuple[str, str]]) -> Optional[List[int]]:
    """The number each option stands for, when every option is a small number of its own (a score, a number of
    instalments); None for an ordinary menu (intents, words, 9-digit account numbers), which is numbered by place."""
    payloads = [payload.strip() for _title, payload in options]
    if not payloads or not all(p.isdigit() and len(p) <= 2 for p in payloads):
        return None
    values = [int(p) for p in payloads]
    return values if len(set(values)) == len(values) else None


def numbered(buttons: Sequence[Tuple[str, str]]) -> str:
    """The options as lines to answer with a number: "5 Excelente" where the option is a value, "1. Pagar" otherwise."""
    values = values_of(buttons)
    if values is None:
        return "\n".join(f"{index}. {title}" for index, (title, _payload) in enumerate(buttons, 1))
    return "\n".join(title if _words(title).split()[:1] == [str(value)] else f"{value} {title}"
                     for value, (title, _payload) in zip(values, buttons, strict=False))


def render(messages: Sequence[Dict], *, limit: int, keyboards: bool, media: bool,
           gsm7: bool = False) -> Tuple[List[Outgoing], List[Tuple[str, str]]]:
    """Provider messages for a turn, and the options a numbered reply refers to.

    ``keyboards``: the channel shows buttons itself (Telegram); otherwise they become a numbered list.
    ``media``: the channel sends images and documents; otherwise their link goes in the text.
    ``gsm7``: SMS: write in the GSM-7 alphabet so each message costs as few segments as possible.
    """
    out: List[Outgoing] = []
    options: List[Tuple[str, str]] = []
    for message in messages:
        text = (message.get("text") or "").strip()
        buttons = [(b.get("title", ""), b.get("payload", "")) for b in message.get("buttons") or []]
        link = message.get("image") or message.get("attachment")
        if isinstance(link, dict):
            link = link.get("payload", {}).get("src") or link.get("url")
        if buttons:
            options = buttons
            if not keyboards:
                text = f"{text}\n{numbered(buttons)}\nResponde con el número." if text else numbered(buttons)
        if link and not media:
            text = f"{text}\n{link}".strip()
            link = None
        if gsm7:
            text = to_gsm7(text)
        pieces = split_text(text, limit) or [""]
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            out.append(Outgoing(text=piece, media_url=link if last else None, buttons=buttons if last and keyboards else []))
    return [o for o in out if o.text or o.media_url], options


def choose(reply: str, options: Sequence[Tuple[str, str]]) -> Optional[str]:
    """The payload of the option a customer picked by number ("1", "2.", " 3 "; the value itself where the options
    are values, "5" for «5 Excelente») or by typing its title ("que me llamen" for «Que me llamen»), if any."""
    cleaned = reply.strip().rstrip(".)")
    if cleaned.isdigit() and len(cleaned) <= 2:
        values = values_of(options)
        if values is not None:  # a score or a count: "5" is the option worth 5, not the fifth one
            return next((payload for value, (_title, payload) in zip(values, options, strict=False) if value == int(cleaned)), None)
        if 1 <= int(cleaned) <= len(options):
            return options[int(cleaned) - 1][1]
    typed = _words(reply)
    return next((payload for title, payload in options if typed and _words(title) == typed), None)


def _words(text: str) -> str:
    """Lower case, no accents, no punctuation or emoji: how a typed title is compared with the real one."""
    return " ".join(re.findall(r"[a-z0-9ñ]+", fold(text)))
