"""The product's web service (FastAPI), one process: ``app.create_app(settings)`` is the factory.

- ``api/``: the integration API under ``/api/v1`` (outages, planned work, payments, customers,
  complaints, KPIs) for the utility's systems, behind API keys.
- ``console/``: the agent console under ``/console`` (sign-in, live queue, conversations) and the
  supervisors' KPI dashboard.
- ``files``: the bill PDFs and consumption charts behind expiring signed links, drawn by
  ``documents`` and ``charts``.
- ``deps``: what routes ask for (settings, database, scheduler) as FastAPI dependencies.
- ``report`` and ``kpi_charts``: the monthly KPI report and the dashboard's charts.
"""
