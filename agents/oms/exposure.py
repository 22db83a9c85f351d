"""The risk view of an OMS account: ``AccountExposure`` built without copying state."""

from __future__ import annotations

from agents.oms.state import AccountBook, OrderRow
from agents.risk.exposure import AccountExposure, ReplacedOrder


def account_exposure(
    book: AccountBook, cl_ord_id: str, replacing: OrderRow | None = None
) -> AccountExposure:
    """What ``agents.risk.check`` needs to judge a request with ClOrdID ``cl_ord_id``
    (a new order, or a replace of ``replacing``) against the account's live state.

    The gateway's ``/risk/check`` and the NATS request/reply handler call this with the
    OMS table's row for the account (``AccountBook(account=...)`` when it has none).
    """
    replaced = None
    if replacing is not None:
        replaced = ReplacedOrder(
            qty=replacing.qty,
            cum_qty=replacing.cum_qty,
            leaves_qty=replacing.leaves_qty,
            open_notional=replacing.leaves_qty * replacing.exposure_price,
        )
    return AccountExposure(
        holdings=book.holdings,
        message_ts=book.message_ts,
        trading_state=book.trading_state,
        cl_ord_id_used=cl_ord_id in book.used_cl_ord_ids,
        replacing=replaced,
    )
