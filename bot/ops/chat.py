"""Chat with the running assistant from a terminal, as a chosen customer's phone.

Talks to the Rasa REST channel like any client would; buttons are shown
numbered as on WhatsApp and SMS (a score or a count by its own value) and
typing the number sends the button's payload.
"""
from __future__ import annotations

import sys
from typing import List, Tuple

import httpx

from channels.render import choose, numbered


def render(messages: List[dict]) -> List[Tuple[str, str]]:
    """Prints the assistant's messages and returns the buttons offered last."""
    buttons: List[Tuple[str, str]] = []
    for message in messages:
        if message.get("text"):
            print(f"Luz: {message['text']}")
        if message.get("image"):
            print(f"Luz: [imagen] {message['image']}")
        if message.get("buttons"):
            buttons = [(b["title"], b["payload"]) for b in message["buttons"]]
            for line in numbered(buttons).splitlines():
                print(f"   {line}")
    return buttons


def chat(rasa_url: str, sender: str) -> None:
    print(f"Escribiendo como {sender}. Ctrl-D o 'chao' para salir.\n")
    buttons: List[Tuple[str, str]] = []
    with httpx.Client(timeout=60) as client:
        while True:
            try:
                text = input("Tú: ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return
            if not text:
                continue
            text = choose(text, buttons) or text
            try:
                response = client.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
                response.raise_for_status()
            except httpx.HTTPError as error:
                print(f"(no pude hablar con el asistente en {rasa_url}: {error})", file=sys.stderr)
                continue
            buttons = render(response.json())
            if text.lower() in {"chao", "adiós", "adios"}:
                return
