"""orders: the order table folded from ``orders.events`` (see ``agent.py``)."""
