"""Audit: ClickHouse SQL (chDB) over the SQLite journal."""
