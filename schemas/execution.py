"""Fills, as a venue or a drop copy delivers them into ``exec.reports``."""

from __future__ import annotations

from typing import Literal

from schemas.base import Record
from schemas.types import Account, ClOrdId, Dec, Id, InstrumentId, NonNegativeDec, PositiveDec, Side


class Fill(Record):
    """One execution. A repeated ``exec_id`` for the same account changes nothing."""

    kind: Literal["fill"] = "fill"
    exec_id: Id
    account: Account
    instrument: InstrumentId
    side: Side
    qty: PositiveDec
    price: PositiveDec
    fee: Dec
    fee_currency: Id
    cl_ord_id: ClOrdId | None = None
    liquidity: Literal["maker", "taker"] | None = None

    def natural_id(self) -> str:
        return f"fill:{self.account}:{self.exec_id}"


class ExecCanceled(Record):
    """The venue canceled what was left of an order: an IOC's rest, a market order that
    found no liquidity. The OMS turns it into OrderCanceled or OrderExpired."""

    kind: Literal["exec_canceled"] = "exec_canceled"
    account: Account
    cl_ord_id: ClOrdId
    order_id: Id
    instrument: InstrumentId
    canceled_qty: NonNegativeDec
    expired: bool = False
    """True when time in force ran out (the OMS records OrderExpired, not OrderCanceled)."""
    reason: str
