"""Custom actions of the Luz assistant, grouped by journey.

``python -m rasa_sdk --actions actions`` imports this package; importing the
modules below registers every action and journey handler.
"""
from actions import billing, complaints, conversation, identity, information, journeys, outages, requests  # noqa: F401
