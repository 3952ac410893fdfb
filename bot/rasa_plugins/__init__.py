"""What Rasa loads from Luz: the NLU components (``nlu/``), the tracker store, the lock store, the event
broker that turns Rasa's events into KPI rows and its queue consumer, the action server with its secret,
and Rasa speed-ups installed by an explicit call at start-up. They depend on the core (``bot``); the core
never imports them."""
