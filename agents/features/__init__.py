"""features: point-in-time rolling features per instrument (DOMAIN.md, Features)."""
