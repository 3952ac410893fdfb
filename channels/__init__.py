"""How messages come in and go out: Rasa input channels on one side, providers on the other.

In (Rasa input channels, Sanic): ``twilio.py`` (WhatsApp, SMS), ``telegram.py`` and, for development
only, ``rest.py``. Each only verifies, parses, hands over and renders: the shared webhook guard
(``guard.py``: off 503, unverified 403, malformed 400, each provider message once) runs every webhook;
``conversation.py`` takes one turn the same way on every channel, and the core decides who answers
(``bot/routing.py``: a person, a survey, the assistant; upset customers offered a person).
Out (no Rasa, no Sanic): ``providers/`` sends one message with one call, ``send(address, message)``,
for every channel; ``outbound.py`` renders Rasa-style messages (``render.py``) and sends them through
it, for the input channels, the console, the API and the jobs alike. ``inbox.py`` remembers messages
seen, menus shown, deliveries and opt-outs.
"""
