"""Plumbing: the log protocol and its backends, codec, topics, the embedded runtime,
state tables, replay. Knows no agent."""
