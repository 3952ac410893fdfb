"""Demo data: the six demo customers and three agents (``customers``), the deterministic seed of
records (``seed``) and sixty days of service history for the dashboard (``history``)."""
