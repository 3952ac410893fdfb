"""Luz's NLU components for Rasa's pipeline (named in ``config.yml``)."""
