"""The FIX 4.4 order state machine (DOMAIN.md) as a table of allowed transitions.

``evolve`` looks every change up here; a pair that is not in the table is a bug (or a
corrupt log) and raises. ``decide`` consults the same table before it emits, so a
business request that would need a missing transition becomes a rejection event.

Where FIX says "back to the prior status" or "New, PartiallyFilled or Filled by
quantity", the event kind names the outcome (``replaced_to_partial``) so the table stays
a plain mapping. The paper venue needs no round trip, so the OMS cancels and replaces
directly; PendingCancel and PendingReplace (and their request/reject kinds) are in the
table for a real venue adapter that must wait for the venue's answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from schemas import TapelineError

PENDING_NEW: Final = "PendingNew"
NEW: Final = "New"
PARTIALLY_FILLED: Final = "PartiallyFilled"
FILLED: Final = "Filled"
PENDING_CANCEL: Final = "PendingCancel"
CANCELED: Final = "Canceled"
PENDING_REPLACE: Final = "PendingReplace"
REJECTED: Final = "Rejected"
EXPIRED: Final = "Expired"

STATUSES: Final = (
    PENDING_NEW,
    NEW,
    PARTIALLY_FILLED,
    FILLED,
    PENDING_CANCEL,
    CANCELED,
    PENDING_REPLACE,
    REJECTED,
    EXPIRED,
)
TERMINAL: Final = frozenset({FILLED, CANCELED, REJECTED, EXPIRED})
LIVE: Final = frozenset(STATUSES) - TERMINAL
WORKING: Final = frozenset({NEW, PARTIALLY_FILLED})
"""Live statuses a cancel or replace request may start from."""

# Transition kinds: what happened to an order, as evolve classifies a recorded event.
ACCEPT: Final = "accept"
REJECT: Final = "reject"
PARTIAL_FILL: Final = "partial_fill"
FINAL_FILL: Final = "final_fill"
CANCEL_REQUEST: Final = "cancel_request"
CANCEL_REJECTED_TO_NEW: Final = "cancel_rejected_to_new"
CANCEL_REJECTED_TO_PARTIAL: Final = "cancel_rejected_to_partial"
CANCEL: Final = "cancel"
REPLACE_REQUEST: Final = "replace_request"
REPLACE_REJECTED_TO_NEW: Final = "replace_rejected_to_new"
REPLACE_REJECTED_TO_PARTIAL: Final = "replace_rejected_to_partial"
REPLACED_TO_NEW: Final = "replaced_to_new"
REPLACED_TO_PARTIAL: Final = "replaced_to_partial"
REPLACED_TO_FILLED: Final = "replaced_to_filled"
EXPIRE: Final = "expire"

TRANSITIONS: Final[dict[tuple[str, str], str]] = {
    (PENDING_NEW, ACCEPT): NEW,
    (PENDING_NEW, REJECT): REJECTED,
    # Executions (fills may arrive while a cancel or replace is pending: apply them).
    (NEW, PARTIAL_FILL): PARTIALLY_FILLED,
    (NEW, FINAL_FILL): FILLED,
    (PARTIALLY_FILLED, PARTIAL_FILL): PARTIALLY_FILLED,
    (PARTIALLY_FILLED, FINAL_FILL): FILLED,
    (PENDING_CANCEL, PARTIAL_FILL): PENDING_CANCEL,
    (PENDING_CANCEL, FINAL_FILL): FILLED,
    (PENDING_REPLACE, PARTIAL_FILL): PENDING_REPLACE,
    (PENDING_REPLACE, FINAL_FILL): FILLED,
    # Cancel: directly (paper venue, kill switch, venue-side cancel) or via PendingCancel.
    (NEW, CANCEL_REQUEST): PENDING_CANCEL,
    (PARTIALLY_FILLED, CANCEL_REQUEST): PENDING_CANCEL,
    (PENDING_CANCEL, CANCEL_REJECTED_TO_NEW): NEW,
    (PENDING_CANCEL, CANCEL_REJECTED_TO_PARTIAL): PARTIALLY_FILLED,
    (NEW, CANCEL): CANCELED,
    (PARTIALLY_FILLED, CANCEL): CANCELED,
    (PENDING_CANCEL, CANCEL): CANCELED,
    (PENDING_REPLACE, CANCEL): CANCELED,
    # Replace: directly (paper venue) or via PendingReplace.
    (NEW, REPLACE_REQUEST): PENDING_REPLACE,
    (PARTIALLY_FILLED, REPLACE_REQUEST): PENDING_REPLACE,
    (PENDING_REPLACE, REPLACE_REJECTED_TO_NEW): NEW,
    (PENDING_REPLACE, REPLACE_REJECTED_TO_PARTIAL): PARTIALLY_FILLED,
    (NEW, REPLACED_TO_NEW): NEW,
    (PARTIALLY_FILLED, REPLACED_TO_PARTIAL): PARTIALLY_FILLED,
    (PARTIALLY_FILLED, REPLACED_TO_FILLED): FILLED,
    (PENDING_REPLACE, REPLACED_TO_NEW): NEW,
    (PENDING_REPLACE, REPLACED_TO_PARTIAL): PARTIALLY_FILLED,
    (PENDING_REPLACE, REPLACED_TO_FILLED): FILLED,
    # Time in force ran out.
    (PENDING_NEW, EXPIRE): EXPIRED,
    (NEW, EXPIRE): EXPIRED,
    (PARTIALLY_FILLED, EXPIRE): EXPIRED,
    (PENDING_CANCEL, EXPIRE): EXPIRED,
    (PENDING_REPLACE, EXPIRE): EXPIRED,
}


class IllegalTransitionError(TapelineError):
    """A recorded event asks for a transition the state machine does not allow."""


def allowed(status: str, kind: str) -> bool:
    return (status, kind) in TRANSITIONS


def next_status(status: str, kind: str, order_id: str = "") -> str:
    """The status after ``kind``; raises IllegalTransitionError outside the table."""
    target = TRANSITIONS.get((status, kind))
    if target is None:
        raise IllegalTransitionError(
            f"order {order_id or '?'}: no transition from {status} on {kind} "
            "(a bug or a corrupt orders.events record)"
        )
    return target


def fill_kind(leaves_after: Decimal) -> str:
    """``final_fill`` when nothing is left, else ``partial_fill``."""
    return PARTIAL_FILL if leaves_after else FINAL_FILL


def replaced_kind(cum_qty: Decimal, leaves_qty: Decimal) -> str:
    """A replace leaves an order New, PartiallyFilled or Filled, by quantity."""
    if not leaves_qty:
        return REPLACED_TO_FILLED
    return REPLACED_TO_PARTIAL if cum_qty else REPLACED_TO_NEW
