"""alerts: every compliance alert, as recorded in ``compliance.alerts``."""
