"""What a risk check reads: the request's terms and the account's exposure.

``AccountExposure`` holds references to the OMS's own maps (no copy), so building one
costs O(1); the checks only read it. ``agents.oms.exposure.account_exposure`` builds one
from an OMS account book, for the OMS itself and for a standalone check (gateway
``/risk/check``, NATS request/reply).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import msgspec

ZERO = Decimal(0)


class OrderTerms(Protocol):
    """The terms risk judges. ``schemas.SubmitOrder`` (model or decoded struct) has them."""

    @property
    def account(self) -> str: ...
    @property
    def cl_ord_id(self) -> str: ...
    @property
    def instrument(self) -> str: ...
    @property
    def side(self) -> str: ...
    @property
    def order_type(self) -> str: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def limit_price(self) -> Decimal | None: ...
    @property
    def ts_event(self) -> int: ...


class RiskRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Order terms built by hand: a replace's new terms, or a gateway check request."""

    account: str
    cl_ord_id: str
    instrument: str
    side: str
    order_type: str
    qty: Decimal
    limit_price: Decimal | None
    ts_event: int


class Holdings(Protocol):
    """One instrument of one account: its position and its working orders.

    Notionals are ``qty * price`` without the contract multiplier (the checks apply it).
    """

    @property
    def position(self) -> Decimal: ...
    @property
    def last_px(self) -> Decimal | None: ...
    @property
    def buy_qty(self) -> Decimal: ...
    @property
    def buy_notional(self) -> Decimal: ...
    @property
    def sell_qty(self) -> Decimal: ...
    @property
    def sell_notional(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class ReplacedOrder:
    """The working order a replace changes: its open part leaves the exposure, the new
    terms enter it, and ``cum_qty`` is already done (it is position, not open order)."""

    qty: Decimal
    cum_qty: Decimal
    leaves_qty: Decimal
    open_notional: Decimal


class AccountExposure(msgspec.Struct, frozen=True, gc=False):
    """One is built per risk-checked request: a struct, not a frozen dataclass, whose
    ``__init__`` (an ``object.__setattr__`` per field) cost more than the lookups it
    serves. Untracked by the GC: it only points at the book's maps, which never point
    back."""

    holdings: Mapping[str, Holdings]
    message_ts: Sequence[int]
    """Times (ns) of the account's recent new/replace/cancel messages, sorted ascending."""
    trading_state: str
    cl_ord_id_used: bool
    """Whether the request's ClOrdID was used before by this account."""
    replacing: ReplacedOrder | None = None

    def position(self, instrument: str) -> Decimal:
        held = self.holdings.get(instrument)
        return ZERO if held is None else held.position

    def open_qty(self, instrument: str, side: str) -> Decimal:
        """Working quantity on one side, without the order being replaced."""
        held = self.holdings.get(instrument)
        if held is None:
            return ZERO
        total = held.buy_qty if side == "buy" else held.sell_qty
        return total - self.replacing.leaves_qty if self.replacing is not None else total

    def working_qty(self, request_qty: Decimal) -> Decimal:
        """What the request would leave working: a replace's new qty less what is filled."""
        return request_qty - self.replacing.cum_qty if self.replacing is not None else request_qty
