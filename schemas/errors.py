"""The one root error of Tapeline; every layer raises a subclass of it."""


class TapelineError(Exception):
    """Something the user can act on; its message says what happened and what to do."""


class SchemaError(TapelineError):
    """A record does not match its schema (bad JSON, unknown kind, bad field)."""


class UpcastError(SchemaError):
    """A record carries a schema_version that no upcaster can bring to the current one."""
