"""Fills, as a venue or a drop copy delivers them into ``exec.reports``."""

from __future__ import annotations

from typing import Literal

from schemas.base import Record
from schemas.types import Account, ClOrdId, Dec, Id, InstrumentId, PositiveDec, Side


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
