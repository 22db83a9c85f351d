"""In-process throughput of the compliance and features agents (no journal, no runtime).

Compliance: the records of seeded scenarios (normal flow with every planted pattern),
decoded as the runtime decodes them (msgspec structs), fed through ``process`` with one
state per account. Features: a synthetic tick stream over a few instruments (quotes and
trades, a few hundred per second of event time), through ``process`` per instrument.
The rate counts the records fed, including the ones an agent ignores on purpose.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from agents.compliance import agent as compliance_agent
from agents.features import agent as features_agent
from agents.scenarios.evaluation import run_process
from agents.scenarios.generator import generate, scenario_config, scenario_limits
from bench.harness import stopwatch
from schemas import Quote, Trade
from streams.codec import decode_payload

SECOND = 1_000_000_000
T0 = 1_700_000_000 * SECOND
INSTRUMENTS = ("synthetic:ALPHA", "synthetic:BETA", "synthetic:GAMMA", "synthetic:DELTA")


def compliance_records(events: int) -> list[Any]:
    """At least ``events`` compliance inputs from consecutive scenario seeds, with time
    shifted per seed so each scenario follows the last."""
    records: list[Any] = []
    seed = 0
    while len(records) < events:
        scenario = generate(seed, normal_accounts=8, normal_orders=200)
        shift = seed * 3600 * SECOND
        for _, record in scenario.events:
            moved = record.model_copy(update={"ts_event": record.ts_event + shift})
            records.append(decode_payload(moved.kind, moved.model_dump_json()))
        seed += 1
    return records[:events]


def tick_records(events: int) -> list[Any]:
    rng = random.Random(7)
    records: list[Any] = []
    ts = T0
    prices = dict.fromkeys(INSTRUMENTS, Decimal(100))
    for index in range(events):
        ts += rng.randint(1, 5_000_000)  # ~400 ticks per second of event time
        instrument = INSTRUMENTS[index % len(INSTRUMENTS)]
        price = max(prices[instrument] + Decimal(rng.randint(-5, 5)) / 100, Decimal(1))
        prices[instrument] = price
        tick: Trade | Quote
        if rng.random() < 0.4:
            tick = Trade(
                instrument=instrument,  # type: ignore[arg-type]
                trade_id=f"T{index}",
                price=price,
                size=Decimal(rng.randint(1, 1000)) / 1000,
                aggressor="buy",
                ts_event=ts,
                ts_recv=ts,
            )
        else:
            tick = Quote(
                instrument=instrument,  # type: ignore[arg-type]
                bid=price - Decimal("0.01"),
                bid_size=Decimal(rng.randint(1, 9)),
                ask=price + Decimal("0.01"),
                ask_size=Decimal(rng.randint(1, 9)),
                ts_event=ts,
                ts_recv=ts,
            )
        records.append(decode_payload(tick.kind, tick.model_dump_json()))
    return records


def run(events: int) -> dict[str, Any]:
    """Compliance and features records per second, ``events`` records each."""
    records = compliance_records(events)
    agent = compliance_agent.build(scenario_limits(), scenario_config())
    with stopwatch() as elapsed:
        alerts = run_process(agent, records)
    compliance_seconds = elapsed()
    ticks = tick_records(events)
    with stopwatch() as elapsed:
        vectors = run_process(features_agent.build(), ticks)
    features_seconds = elapsed()
    return {
        "events": events,
        "compliance_events_per_s": round(events / compliance_seconds),
        "compliance_alerts": len(alerts),
        "features_events_per_s": round(events / features_seconds),
        "feature_vectors": len(vectors),
    }
