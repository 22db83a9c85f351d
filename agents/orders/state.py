"""The orders table: one row per order (rejected requests get a row too)."""

from __future__ import annotations

from decimal import Decimal

import msgspec

ZERO = Decimal(0)


class OrderView(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    order_id: str
    """The OMS order id; ``rejected:<ClOrdID>`` for a request refused before acceptance."""
    root_cl_ord_id: str = ""
    """The ClOrdID the order was entered with (the root of its replace chain)."""
    cl_ord_id: str = ""
    """The order's current ClOrdID."""
    instrument: str | None = None
    side: str | None = None
    order_type: str | None = None
    tif: str | None = None
    limit_price: Decimal | None = None
    qty: Decimal = ZERO
    cum_qty: Decimal = ZERO
    leaves_qty: Decimal = ZERO
    avg_px: Decimal = ZERO
    status: str = ""
    arrival_mid: Decimal | None = None
    reject_rule: str | None = None
    reject_reason: str | None = None
    cancel_reason: str | None = None
    fills: int = 0
    replaces: int = 0
    ts_accepted: int | None = None
    ts_last: int = 0
