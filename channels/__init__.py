"""Rasa input channels of Luz: WhatsApp and SMS through Twilio, Telegram.

Each provider module only parses, verifies and hands over; what is shared
(rendering one answer per channel, numbered options, duplicates) lives in
``render.py`` and ``inbox.py``.
"""
