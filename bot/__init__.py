"""Luz's own services around the Rasa assistant; this package's top level is the domain core.

The core (modules here and ``db/``): the records of the customer information system (``records``,
``db/``), cases and tickets (``cases``, ``tickets``), the handoff queue (``handoff``), notifications,
events and KPIs (``events``, ``kpis``), transcripts, phones, formatting, mood, restorations, signed links,
the concepts customers' words point at (``concepts``), the action server's shared secret
(``internal_auth``), the clock, the settings (the only reader of the environment) and ``text`` (the one
accent folding). It imports none of the rooms below.

The rooms around it, each importing the core and never the other way:
``rasa_plugins/`` (NLU components, tracker and lock stores, event broker, KPI consumer, action server,
speed-ups installed at start-up), ``web/`` (the FastAPI service: console, API, files), ``jobs/`` (scheduler,
dispatcher, scheduled jobs), ``ops/`` (``python -m bot``, supervisor, production profile) and ``demo/``
(seed data). The actions (``actions/``) and the channels (``channels/``) live beside this package.
"""
