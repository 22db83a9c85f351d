"""Pre-trade risk over NATS request/reply: subject ``risk.check``.

The request is a JSON object with the fields of ``SubmitOrder`` (``kind`` and
``ts_event`` optional: a check stamps the time it is asked); the reply is the
``RiskDecision`` JSON, judged from the OMS's in-memory state exactly like the gateway's
``/risk/check`` (the instrument-grid check first, then ``agents.risk.check`` over
``account_exposure`` of the live book). A bad request gets ``{"error": ..., "detail":
...}``; nothing a requester sends can stop the responder.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from agents.oms.exposure import account_exposure
from agents.oms.requests import grid_denial
from agents.oms.state import AccountBook
from agents.risk import RiskLimits, check, decision
from schemas import RiskDecision, SubmitOrder
from schemas.view import View
from streams.nats_bus import RISK_CHECK_SUBJECT, NatsLink

Judge = Callable[[SubmitOrder], RiskDecision]
WithBook = Callable[[str, Callable[[AccountBook, View], RiskDecision]], RiskDecision]
"""``GatewayEngine.with_book``: calls ``use(book, view)`` under the engine's lock."""


def judge_book(
    book: AccountBook, view: View, limits: RiskLimits, order: SubmitOrder
) -> RiskDecision:
    definition = view.instrument(order.instrument)
    denial = grid_denial(definition, order.instrument, order.qty, order.limit_price)
    if denial is not None:
        return decision(order, denial)
    return check(order, account_exposure(book, order.cl_ord_id), limits, view)


def book_judge(
    book_for: Callable[[str], AccountBook], limits: RiskLimits, view: Callable[[], View]
) -> Judge:
    """A judge over ``book_for(account)`` (e.g. ``runtime.tables()["oms"].get``) and the
    runtime's current view (``lambda: runtime.view``: a reload replaces it)."""
    return lambda order: judge_book(book_for(order.account), view(), limits, order)


def locked_judge(with_book: WithBook, limits: RiskLimits) -> Judge:
    """A judge that reads the book through the gateway engine's lock (the safe wiring
    when other threads commit to the same runtime)."""
    return lambda order: with_book(
        order.account, lambda book, view: judge_book(book, view, limits, order)
    )


def parse_request(data: bytes, now: int) -> SubmitOrder:
    fields = json.loads(data)
    if not isinstance(fields, dict):
        raise ValueError("the request is a JSON object with the fields of submit_order")
    fields.setdefault("kind", "submit_order")
    fields.setdefault("ts_event", now)
    return SubmitOrder.model_validate(fields)


def _error(code: str, detail: str) -> bytes:
    return json.dumps({"error": code, "detail": detail}).encode()


class RiskResponder:
    """Answers ``risk.check`` requests. ``blocking`` runs the judge in a worker thread
    (it may wait for the engine's lock); False judges on the loop."""

    def __init__(
        self,
        link: NatsLink,
        judge: Judge,
        *,
        subject: str = RISK_CHECK_SUBJECT,
        blocking: bool = True,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.link = link
        self.judge = judge
        self.subject = subject
        self.blocking = blocking
        self.clock = clock
        self.answered = 0
        self.refused = 0
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = await self.link.nc.subscribe(self.subject, cb=self._on_request)
        await self.link.nc.flush()

    async def stop(self) -> None:
        if self._subscription is not None and not self.link.nc.is_closed:
            await self._subscription.unsubscribe()
        self._subscription = None

    async def _on_request(self, msg: Msg) -> None:
        if not msg.reply:
            return  # a publish, not a request: nobody to answer
        reply = await self.answer(msg.data)
        with contextlib.suppress(Exception):  # link dropped: the requester times out, retries
            await msg.respond(reply)

    async def answer(self, data: bytes) -> bytes:
        """The reply to one request body (never raises)."""
        try:
            order = parse_request(data, self.clock())
        except ValidationError as error:
            self.refused += 1
            return _error("invalid_request", _first_error(error))
        except ValueError as error:
            self.refused += 1
            return _error("invalid_request", str(error)[:500])
        try:
            verdict = (
                await asyncio.to_thread(self.judge, order) if self.blocking else self.judge(order)
            )
        except Exception as failure:  # a bug in a check must not kill the responder
            self.refused += 1
            return _error("internal_error", f"{type(failure).__name__}: {failure}"[:500])
        self.answered += 1
        return verdict.model_dump_json().encode()


def _first_error(error: ValidationError) -> str:
    first: dict[str, Any] = dict(error.errors()[0])
    where = ".".join(str(part) for part in first.get("loc", ())) or "request"
    return f"field {where}: {first.get('msg', 'invalid')}"
