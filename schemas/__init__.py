"""The language of Tapeline: records, the envelope, versions and upcasters.

Imports nothing else of ours.
"""

from schemas.alt import AltDataPoint
from schemas.base import Record
from schemas.compliance import ComplianceAlert
from schemas.deadletter import DeadLetter
from schemas.envelope import Envelope
from schemas.errors import SchemaError, TapelineError, UpcastError
from schemas.execution import ExecCanceled, Fill
from schemas.features import FeatureVector
from schemas.market import InstrumentDefinition, MarketDataGap, Quote, Trade
from schemas.order_events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPartiallyFilled,
    OrderRejected,
    OrderReplaced,
    OrderReplaceRejected,
    TradingStateChanged,
)
from schemas.orders import CancelOrder, KillSwitch, ReplaceOrder, SetTradingState, SubmitOrder
from schemas.registry import KINDS, RECORD_TYPES, AnyRecord, validate_record
from schemas.risk import RiskDecision
from schemas.tca import ExecutionQuality, PnlSnapshot
from schemas.types import Account, ClOrdId, InstrumentId, side_sign
from schemas.upcasters import UPCASTERS, Upcasters, current_version

__all__ = [
    "KINDS",
    "RECORD_TYPES",
    "UPCASTERS",
    "Account",
    "AltDataPoint",
    "AnyRecord",
    "CancelOrder",
    "ClOrdId",
    "ComplianceAlert",
    "DeadLetter",
    "Envelope",
    "ExecCanceled",
    "ExecutionQuality",
    "FeatureVector",
    "Fill",
    "InstrumentDefinition",
    "InstrumentId",
    "KillSwitch",
    "MarketDataGap",
    "OrderAccepted",
    "OrderCancelRejected",
    "OrderCanceled",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderPartiallyFilled",
    "OrderRejected",
    "OrderReplaceRejected",
    "OrderReplaced",
    "PnlSnapshot",
    "Quote",
    "Record",
    "ReplaceOrder",
    "RiskDecision",
    "SchemaError",
    "SetTradingState",
    "SubmitOrder",
    "TapelineError",
    "Trade",
    "TradingStateChanged",
    "UpcastError",
    "Upcasters",
    "current_version",
    "side_sign",
    "validate_record",
]
