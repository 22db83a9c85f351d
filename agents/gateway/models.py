"""Request bodies at the edge: strict, closed (unknown fields refused), decimals as JSON
strings only. These are what /openapi.json documents; the gateway turns them into the
``schemas.orders`` commands, stamping ``ts_event`` itself."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

_DECIMAL = re.compile(r"[0-9]{1,15}(\.[0-9]{1,18})?")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,63}$"
"""Accounts and ClOrdIDs: 1 to 64 printable characters, no spaces."""
INSTRUMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"


def _decimal_string(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError(
            f'decimals are JSON strings (got {type(value).__name__}); write "1.5", not 1.5'
        )
    if not _DECIMAL.fullmatch(value):
        raise ValueError(f"not a positive decimal string: {value[:40]!r}")
    parsed = Decimal(value)
    if not parsed:
        raise ValueError("must be greater than zero")
    return parsed


PositiveDecimal = Annotated[
    Decimal,
    BeforeValidator(_decimal_string),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{1,15}(\.[0-9]{1,18})?$"}),
]
AccountName = Annotated[str, Field(pattern=NAME_PATTERN)]
ClOrdIdText = Annotated[str, Field(pattern=NAME_PATTERN)]
InstrumentName = Annotated[str, Field(pattern=INSTRUMENT_PATTERN)]
Reason = Annotated[str, Field(min_length=1, max_length=128)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class OrderRequest(_Body):
    """A new order: ``SubmitOrder`` without ``kind`` and ``ts_event``."""

    account: AccountName
    cl_ord_id: ClOrdIdText
    instrument: InstrumentName
    side: Literal["buy", "sell"]
    order_type: Literal["market", "limit"]
    qty: PositiveDecimal
    limit_price: PositiveDecimal | None = None
    tif: Literal["DAY", "IOC", "GTC"] = "DAY"
    expire_ts: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None


class CancelRequest(_Body):
    """Cancel the order whose current ClOrdID is in the path; ``cl_ord_id`` is this
    request's own (new, unique) ClOrdID. ``account`` may be left out by a key with one."""

    cl_ord_id: ClOrdIdText
    account: AccountName | None = None


class ReplaceRequest(_Body):
    cl_ord_id: ClOrdIdText
    qty: PositiveDecimal
    limit_price: PositiveDecimal | None = None
    account: AccountName | None = None


class RiskCheckRequest(_Body):
    """Would this order pass pre-trade risk now? Nothing is recorded."""

    account: AccountName
    instrument: InstrumentName
    side: Literal["buy", "sell"]
    order_type: Literal["market", "limit"]
    qty: PositiveDecimal
    limit_price: PositiveDecimal | None = None
    cl_ord_id: ClOrdIdText | None = None


class KillSwitchRequest(_Body):
    account: Annotated[str, Field(pattern=NAME_PATTERN + "|^\\*$")]
    """An account, or ``*``: every account in the caller's scope."""
    reason: Reason


class TokenRequest(_Body):
    api_key: Annotated[str, Field(min_length=1, max_length=256)]


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int


class OrderDecision(BaseModel):
    """The OMS's answer to one command, as recorded in ``orders.events``."""

    status: Literal["accepted", "rejected", "canceled", "replaced", "timeout"]
    event_id: str
    """The command's event id: the ``causation_id`` of its decision in the journal."""
    account: str
    cl_ord_id: str
    orig_cl_ord_id: str | None = None
    order_id: str | None = None
    arrival_mid: str | None = None
    qty: str | None = None
    limit_price: str | None = None
    leaves_qty: str | None = None
    cum_qty: str | None = None
    reason: str | None = None
    rule: str | None = None
    limit: str | None = None
    observed: str | None = None


class RiskCheckResponse(BaseModel):
    approved: bool
    account: str
    cl_ord_id: str
    rule: str | None = None
    limit: str | None = None
    observed: str | None = None
    reason: str


class KillSwitchResult(BaseModel):
    account: str
    trading_state: str
    canceled: list[str]
    event_id: str


class KillSwitchResponse(BaseModel):
    accounts: list[KillSwitchResult]


class ErrorBody(BaseModel):
    error: str
    detail: list[dict[str, str]] | None = None
