"""Custom Rasa NLU components of Luz (referenced by module path in config.yml)."""
