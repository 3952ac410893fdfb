"""Custom actions of the Luz assistant, grouped by journey.

``python -m rasa_sdk --actions actions`` imports this package; importing the
modules below registers every action and journey handler.
"""
from actions import (  # noqa: F401
    billing,
    complaints,
    identity,
    information,
    journeys,
    outages,
    payments,
    repair,
    requests,
)
