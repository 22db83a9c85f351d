"""live-gateway: WebSocket push of ticks, order updates, fills, positions, PnL and alerts
from NATS, and the ``risk.check`` NATS responder (wiring.py shows how an app uses them)."""

from agents.live_gateway.channels import Authenticate, Principal, ProtocolError
from agents.live_gateway.hub import LiveHub
from agents.live_gateway.outbox import Outbox
from agents.live_gateway.risk_responder import (
    RiskResponder,
    book_judge,
    judge_book,
    locked_judge,
)
from agents.live_gateway.router import live_router
from agents.live_gateway.session import SLOW_CONSUMER, UNAUTHORIZED
from agents.live_gateway.wiring import ROW_FEEDS, LiveGateway, publishing_runtime

__all__ = [
    "ROW_FEEDS",
    "SLOW_CONSUMER",
    "UNAUTHORIZED",
    "Authenticate",
    "LiveGateway",
    "LiveHub",
    "Outbox",
    "Principal",
    "ProtocolError",
    "RiskResponder",
    "book_judge",
    "judge_book",
    "live_router",
    "locked_judge",
    "publishing_runtime",
]
