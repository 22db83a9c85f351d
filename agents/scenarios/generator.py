"""A seeded scenario: normal order flow with planted violations, and the list of them.

Normal flow never breaks a rule by construction: each normal account trades one side per
instrument (no wash pair, no opposite fill for a layering pattern), orders of 1-5 units
(never large against its own median), a message at most every 200 ms, at most one cancel
per order while most orders fill, and no position limit or restricted list on the
instruments it trades.

Each planted pattern gets an account of its own, so the patterns cannot combine into a
violation nobody planted; ``PlantedViolation.evidence`` lists the ids an alert must
cite (``agents.compliance.evidence``). Same seed, same records, same ids.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from agents.compliance.config import SurveillanceConfig
from agents.compliance.evidence import (
    CANCEL_TO_FILL_RATIO,
    MESSAGE_RATE,
    POSITION_LIMIT,
    RESTRICTED_INSTRUMENT,
    SPOOFING,
    WASH_TRADE,
)
from agents.risk.limits import AccountLimits, InstrumentLimits, RiskLimits
from agents.scenarios.flow import MS, SECOND, T0, FlowBuilder
from schemas import Record
from schemas.types import Side

ALPHA: Final = "synthetic:ALPHA"
BETA: Final = "synthetic:BETA"
LIMITED: Final = "synthetic:LIMITED"
RESTRICTED: Final = "synthetic:RESTRICTED"
NORMAL_INSTRUMENTS: Final = (ALPHA, BETA)
MIDS: Final = {
    ALPHA: Decimal(100),
    BETA: Decimal(50),
    LIMITED: Decimal(20),
    RESTRICTED: Decimal(10),
}
TICK: Final = Decimal("0.01")
POSITION_CAP: Final = Decimal(100)
SPAN_NS: Final = 120 * SECOND
"""Planted patterns start somewhere in the first two minutes of the normal flow."""

PATTERNS: Final = (
    "wash_trade",
    "layering",
    "position_limit",
    "restricted_instrument",
    "message_burst",
    "cancel_ratio",
)


@dataclass(frozen=True)
class PlantedViolation:
    rule: str
    account: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    events: list[tuple[str, Record]]
    """(topic, record) in event-time order, as the log would merge them."""
    planted: list[PlantedViolation]
    limits: RiskLimits
    config: SurveillanceConfig


def scenario_limits() -> RiskLimits:
    return RiskLimits(
        default_account=AccountLimits(restricted=frozenset({RESTRICTED})),
        instruments={LIMITED: InstrumentLimits(position_limit=POSITION_CAP)},
    )


def scenario_config() -> SurveillanceConfig:
    """The defaults, with a message limit a short burst can exceed."""
    return SurveillanceConfig(max_messages_per_second=20)


def generate(
    seed: int,
    *,
    patterns: Sequence[str] = PATTERNS,
    normal_accounts: int = 4,
    normal_orders: int = 40,
) -> Scenario:
    """Normal flow for ``normal_accounts`` accounts plus 1-2 instances of each pattern."""
    unknown = sorted(set(patterns) - set(PATTERNS))
    if unknown:
        raise ValueError(f"unknown patterns {unknown}; the patterns are {PATTERNS}")
    rng = random.Random(seed)  # noqa: S311 (a seeded simulation, not security)
    flow = FlowBuilder()
    for number in range(1, normal_accounts + 1):
        _normal_account(flow, rng, f"N{number}", normal_orders)
    planted: list[PlantedViolation] = []
    for pattern in patterns:
        for instance in range(1, rng.randint(1, 2) + 1):
            account = f"{pattern.upper()}-{instance}"
            start = T0 + rng.randrange(SPAN_NS)
            planted.extend(_PLANTERS[pattern](flow, rng, account, start))
    return Scenario(flow.sorted_events(), planted, scenario_limits(), scenario_config())


def _price(rng: random.Random, instrument: str, max_ticks: int) -> Decimal:
    return MIDS[instrument] + TICK * rng.randint(-max_ticks, max_ticks)


def _normal_account(flow: FlowBuilder, rng: random.Random, account: str, orders: int) -> None:
    sides: dict[str, Side] = {
        instrument: rng.choice(("buy", "sell")) for instrument in NORMAL_INSTRUMENTS
    }
    ts = T0 + rng.randrange(SECOND)
    for _ in range(orders):
        ts += rng.randint(200, 3000) * MS
        instrument = rng.choice(NORMAL_INSTRUMENTS)
        qty = Decimal(rng.randint(1, 5))
        price = _price(rng, instrument, 5)
        order, _ = flow.accept(
            account, instrument, sides[instrument], qty, price, MIDS[instrument], ts
        )
        roll = rng.random()
        if roll < 0.6:
            first = Decimal(rng.randint(1, int(qty)))
            flow.fill(order, first, price, ts + rng.randint(1, 150) * MS)
            if order.leaves and rng.random() < 0.5:
                flow.fill(order, order.leaves, price, ts + rng.randint(151, 190) * MS)
        elif roll < 0.8:
            flow.cancel(order, ts + rng.randint(1, 190) * MS)


def _wash(
    flow: FlowBuilder, rng: random.Random, account: str, start: int
) -> list[PlantedViolation]:
    """A buy and a sell of about the same size and price, seconds apart."""
    instrument = rng.choice(NORMAL_INSTRUMENTS)
    qty = Decimal(rng.randint(20, 50))
    price = _price(rng, instrument, 3)
    first_side: Side = rng.choice(("buy", "sell"))
    second_side: Side = "sell" if first_side == "buy" else "buy"
    order, _ = flow.accept(account, instrument, first_side, qty, price, MIDS[instrument], start)
    first = flow.fill(order, qty, price, start + 50 * MS)
    later = start + rng.randint(2, 30) * SECOND
    other_qty = qty + rng.randint(-2, 2)
    other_price = price + TICK * rng.randint(-3, 3)
    other, _ = flow.accept(
        account, instrument, second_side, other_qty, other_price, MIDS[instrument], later
    )
    second = flow.fill(other, other_qty, other_price, later + 50 * MS)
    return [PlantedViolation(WASH_TRADE, account, (first, second))]


def _layering(
    flow: FlowBuilder, rng: random.Random, account: str, start: int
) -> list[PlantedViolation]:
    """Small resting orders, a large one near the touch, an opposite fill, a cancel."""
    instrument = rng.choice(NORMAL_INSTRUMENTS)
    mid = MIDS[instrument]
    side: Side = rng.choice(("buy", "sell"))
    away = -1 if side == "buy" else 1
    ts = start
    for _ in range(rng.randint(5, 7)):
        small = Decimal(rng.randint(1, 3))
        flow.accept(account, instrument, side, small, mid + away * TICK * 20, mid, ts)
        ts += rng.randint(500, 1500) * MS
    large_qty = Decimal(rng.randint(40, 80))
    large_price = mid + away * TICK * rng.randint(1, 5)
    large, accepted = flow.accept(account, instrument, side, large_qty, large_price, mid, ts)
    other_side: Side = "sell" if side == "buy" else "buy"
    bait_qty = Decimal(rng.randint(1, 3))
    bait, _ = flow.accept(
        account, instrument, other_side, bait_qty, mid - away * TICK, mid, ts + 100 * MS
    )
    opposite = flow.fill(bait, bait_qty, mid - away * TICK, ts + rng.randint(300, 1500) * MS)
    canceled = flow.cancel(large, ts + rng.randint(1600, 4500) * MS)
    return [PlantedViolation(SPOOFING, account, (accepted, opposite, canceled))]


def _position_limit(
    flow: FlowBuilder, rng: random.Random, account: str, start: int
) -> list[PlantedViolation]:
    """Three buys of 35-49 on an instrument capped at 100: the third breaches it."""
    ts = start
    evidence = ""
    for _ in range(3):
        qty = Decimal(rng.randint(35, 49))
        price = _price(rng, LIMITED, 2)
        order, _ = flow.accept(account, LIMITED, "buy", qty, price, MIDS[LIMITED], ts)
        evidence = flow.fill(order, qty, price, ts + 20 * MS)
        ts += rng.randint(1, 10) * SECOND
    return [PlantedViolation(POSITION_LIMIT, account, (evidence,))]


def _restricted(
    flow: FlowBuilder, rng: random.Random, account: str, start: int
) -> list[PlantedViolation]:
    """An order on the restricted list, filled in one or two parts: each fill a breach."""
    qty = Decimal(rng.randint(2, 10))
    price = _price(rng, RESTRICTED, 2)
    order, _ = flow.accept(account, RESTRICTED, "buy", qty, price, MIDS[RESTRICTED], start)
    parts = [qty] if rng.random() < 0.5 else [qty - 1, Decimal(1)]
    planted = []
    for index, part in enumerate(parts):
        fill = flow.fill(order, part, price, start + (index + 1) * 100 * MS)
        planted.append(PlantedViolation(RESTRICTED_INSTRUMENT, account, (fill,)))
    return planted


def _message_burst(
    flow: FlowBuilder, rng: random.Random, account: str, start: int
) -> list[PlantedViolation]:
    """25-35 orders within a second: the message after the 20th breaches the limit."""
    instrument = rng.choice(NORMAL_INSTRUMENTS)
    ids = []
    ts = start
    for _ in range(rng.randint(25, 35)):
        price = MIDS[instrument] - TICK * rng.randint(50, 80)
        _, accepted = flow.accept(
            account, instrument, "buy", Decimal(rng.randint(1, 3)), price, MIDS[instrument], ts
        )
        ids.append(accepted)
        ts += rng.randint(5, 28) * MS
    return [PlantedViolation(MESSAGE_RATE, account, (ids[0], ids[20]))]


def _cancel_ratio(
    flow: FlowBuilder, rng: random.Random, account: str, start: int
) -> list[PlantedViolation]:
    """22-26 orders canceled within a minute, one of them partly filled first."""
    instrument = rng.choice(NORMAL_INSTRUMENTS)
    filled_one = rng.randrange(5)
    cancels = []
    ts = start
    for index in range(rng.randint(22, 26)):
        qty = Decimal(rng.randint(2, 5))
        price = _price(rng, instrument, 5)
        order, _ = flow.accept(account, instrument, "buy", qty, price, MIDS[instrument], ts)
        if index == filled_one:
            flow.fill(order, Decimal(1), price, ts + 100 * MS)
        cancels.append(flow.cancel(order, ts + rng.randint(200, 500) * MS))
        ts += rng.randint(1000, 2500) * MS
    return [PlantedViolation(CANCEL_TO_FILL_RATIO, account, (cancels[0],))]


Planter = Callable[[FlowBuilder, random.Random, str, int], list[PlantedViolation]]

_PLANTERS: Final[dict[str, Planter]] = {
    "wash_trade": _wash,
    "layering": _layering,
    "position_limit": _position_limit,
    "restricted_instrument": _restricted,
    "message_burst": _message_burst,
    "cancel_ratio": _cancel_ratio,
}
