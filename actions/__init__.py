"""Custom actions of the Luz assistant, grouped by journey.

``rasa run actions --actions actions`` imports every module listed here.
"""
from actions import billing, identity, journeys  # noqa: F401
