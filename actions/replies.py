"""A reply as the assistant composes it, independent of the channel that renders it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from rasa_sdk.executor import CollectingDispatcher

Button = Tuple[str, str]  # (title, payload)
_DOUBLE_STOP = re.compile(r"(?<!\.)\.\.(?!\.)")  # "3:00 p. m.." -> "3:00 p. m."


@dataclass
class Reply:
    text: str
    buttons: List[Button] = field(default_factory=list)
    image: Optional[str] = None
    attachment: Optional[str] = None

    def send(self, dispatcher: CollectingDispatcher) -> None:
        dispatcher.utter_message(
            text=_DOUBLE_STOP.sub(".", self.text),
            buttons=[{"title": title, "payload": payload} for title, payload in self.buttons] or None,
            image=self.image,
            attachment=self.attachment,
        )


def send_all(dispatcher: CollectingDispatcher, replies: List[Reply]) -> None:
    for reply in replies:
        reply.send(dispatcher)
