"""Luz: the utility's own services around the Rasa assistant.

Settings, the records database (the utility's customer information system),
and the command line. Later: agent console, scheduler and integration API.
"""
