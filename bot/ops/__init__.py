"""Running Luz: the command line (``python -m bot ...``), the process supervisor, the production profile,
the terminal chat and Telegram set-up."""
