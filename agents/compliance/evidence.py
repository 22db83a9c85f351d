"""Rule names, evidence ids and the alert record.

The runtime hands ``process`` payloads, not envelopes, so the agent cannot name the log's
event ids. Evidence names each record by a natural id built from its payload instead:

* a fill: ``fill:ACCOUNT:EXEC_ID`` (``Fill.natural_id()``, as the OMS's own alerts do);
* an order event: ``KIND:ACCOUNT:CLORDID``, where CLORDID is the ClOrdID of the request
  the event answers (``order_accepted:ACC-1:C7``, ``order_canceled:ACC-1:C9`` with the
  cancel request's id). ClOrdIDs are unique per account and request (DOMAIN.md), so the
  kind, the account and the ClOrdID pick out one record. A cancel that no request asked
  for (an IOC remainder, a kill switch) uses the order's current ClOrdID.

An alert id is ``RULE:ACCOUNT:FIRST_EVIDENCE``: the same inputs give the same id, and a
repeated delivery that raised the same alert again would overwrite its row, not add one.
An id longer than an id field holds (128) keeps its head and gets a digest of the rest.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, Final

from schemas import Account, ComplianceAlert, InstrumentId

RESTRICTED_INSTRUMENT: Final = "restricted_instrument"
POSITION_LIMIT: Final = "position_limit"
WASH_TRADE: Final = "wash_trade"
SPOOFING: Final = "spoofing"
CANCEL_TO_FILL_RATIO: Final = "cancel_to_fill_ratio"
MESSAGE_RATE: Final = "message_rate"

RULES: Final = (
    RESTRICTED_INSTRUMENT,
    POSITION_LIMIT,
    WASH_TRADE,
    SPOOFING,
    CANCEL_TO_FILL_RATIO,
    MESSAGE_RATE,
)


MAX_ID: Final = 128
"""The longest id a record field holds (``schemas.types.Id``)."""


def bounded(identifier: str) -> str:
    """``identifier``, or, when it is too long for an id field, its head and a digest."""
    if len(identifier) <= MAX_ID:
        return identifier
    digest = hashlib.blake2b(identifier.encode(), digest_size=16).hexdigest()
    return f"{identifier[: MAX_ID - 33]}#{digest}"


def fill_id(fill: Any) -> str:
    return bounded(f"fill:{fill.account}:{fill.exec_id}")


def order_event_id(kind: str, account: str, cl_ord_id: str) -> str:
    return bounded(f"{kind}:{account}:{cl_ord_id}")


def request_id(event: Any) -> str:
    """The evidence id of an order event: the ClOrdID of the request it answers."""
    if event.kind == "order_canceled" and event.cancel_cl_ord_id is not None:
        return order_event_id(event.kind, event.account, event.cancel_cl_ord_id)
    return order_event_id(event.kind, event.account, event.cl_ord_id)


def text(value: Decimal) -> str:
    """A decimal as plain text, no exponent."""
    return f"{value:f}"


def make_alert(
    rule: str,
    account: str,
    instrument: str | None,
    window: tuple[int, int],
    evidence: tuple[str, ...],
    detail: str,
    ts_event: int,
) -> ComplianceAlert:
    return ComplianceAlert(
        alert_id=bounded(f"{rule}:{account}:{evidence[0]}"),
        rule=rule,
        account=Account(account),
        instrument=None if instrument is None else InstrumentId(instrument),
        window_start_ts=window[0],
        window_end_ts=window[1],
        evidence=evidence,
        detail=detail,
        ts_event=ts_event,
    )
