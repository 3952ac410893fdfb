"""The records database: the utility's customer information system (CIS)."""
