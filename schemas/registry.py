"""Every record kind, the discriminated union over them, and wire decoding."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from schemas.alt import AltDataPoint
from schemas.base import Record
from schemas.compliance import ComplianceAlert
from schemas.deadletter import DeadLetter
from schemas.errors import SchemaError
from schemas.execution import ExecCanceled, Fill
from schemas.features import FeatureVector
from schemas.market import InstrumentDefinition, MarketDataGap, Quote, Trade
from schemas.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    TradingStateChanged,
)
from schemas.orders import CancelOrder, KillSwitch, ReplaceOrder, SetTradingState, SubmitOrder
from schemas.risk import RiskDecision
from schemas.tca import ExecutionQuality, PnlSnapshot
from schemas.upcasters import UPCASTERS, Upcasters

AnyRecord = Annotated[
    Trade
    | Quote
    | InstrumentDefinition
    | MarketDataGap
    | SubmitOrder
    | CancelOrder
    | ReplaceOrder
    | SetTradingState
    | KillSwitch
    | OrderAccepted
    | OrderRejected
    | OrderPartiallyFilled
    | OrderFilled
    | OrderCanceled
    | OrderReplaced
    | OrderExpired
    | OrderCancelRejected
    | OrderReplaceRejected
    | TradingStateChanged
    | Fill
    | ExecCanceled
    | RiskDecision
    | ExecutionQuality
    | PnlSnapshot
    | FeatureVector
    | ComplianceAlert
    | AltDataPoint
    | DeadLetter,
    Field(discriminator="kind"),
]

RECORD_TYPES: tuple[type[Record], ...] = (
    Trade,
    Quote,
    InstrumentDefinition,
    MarketDataGap,
    SubmitOrder,
    CancelOrder,
    ReplaceOrder,
    SetTradingState,
    KillSwitch,
    OrderAccepted,
    OrderRejected,
    OrderPartiallyFilled,
    OrderFilled,
    OrderCanceled,
    OrderReplaced,
    OrderExpired,
    OrderCancelRejected,
    OrderReplaceRejected,
    TradingStateChanged,
    Fill,
    ExecCanceled,
    RiskDecision,
    ExecutionQuality,
    PnlSnapshot,
    FeatureVector,
    ComplianceAlert,
    AltDataPoint,
    DeadLetter,
)

KINDS: dict[str, type[Record]] = {cls.KIND: cls for cls in RECORD_TYPES}

ENVELOPE_WIRE_FIELDS = ("event_id", "causation_id", "correlation_id", "schema_version")
"""Envelope fields a wire line may carry beside the payload's own."""

_any_record: TypeAdapter[Record] = TypeAdapter(AnyRecord)


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the bad fields (the first three) and what is wrong with each."""
    parts = []
    for detail in error.errors(include_url=False)[:3]:
        where = ".".join(str(part) for part in detail["loc"]) or "record"
        parts.append(f"field {where}: {detail['msg'].removeprefix('Value error, ')}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def validate_record(data: dict[str, Any], upcasters: Upcasters = UPCASTERS) -> Record:
    """Validate one payload dict (``kind`` included), upcasting an older schema_version."""
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise SchemaError("field kind: missing or not a string")
    if kind not in KINDS:
        raise SchemaError(f"field kind: unknown kind {kind[:40]!r}")
    version = data.pop("schema_version", None)
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int):
            raise SchemaError("field schema_version: must be an integer")
        data = upcasters.upcast(kind, version, data)
    try:
        return KINDS[kind].model_validate(data)
    except ValidationError as error:
        raise SchemaError(describe_validation_error(error)) from None
