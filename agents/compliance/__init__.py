"""compliance: post-trade surveillance per account (DOMAIN.md, Compliance)."""
