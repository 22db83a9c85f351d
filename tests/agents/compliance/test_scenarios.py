"""The compliance agent against seeded scenarios with planted violations."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.compliance import agent as compliance_agent
from agents.compliance.state import AccountWatch
from agents.scenarios.evaluation import NoView, finds, precision_recall, scenario_alerts
from agents.scenarios.flow import SECOND
from agents.scenarios.generator import PATTERNS, generate
from bench import compliance as bench_compliance
from schemas import Fill, Record
from streams.codec import decode_payload
from streams.state import encode_state


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_every_planted_violation_is_found_with_its_evidence(seed: int) -> None:
    scenario = generate(seed)
    alerts = scenario_alerts(scenario)
    assert {v.rule for v in scenario.planted} == {
        "wash_trade",
        "spoofing",
        "position_limit",
        "restricted_instrument",
        "message_rate",
        "cancel_to_fill_ratio",
    }
    for violation in scenario.planted:
        assert any(finds(alert, violation) for alert in alerts), violation
    for alert in alerts:
        assert any(finds(alert, violation) for violation in scenario.planted), alert


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 6), st.integers(1, 80))
def test_clean_flow_raises_no_alert(seed: int, accounts: int, orders: int) -> None:
    scenario = generate(seed, patterns=(), normal_accounts=accounts, normal_orders=orders)
    assert scenario.planted == []
    assert scenario_alerts(scenario) == []


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(PATTERNS))
def test_one_pattern_alone_raises_only_its_own_alerts(seed: int, pattern: str) -> None:
    scenario = generate(seed, patterns=(pattern,), normal_accounts=2)
    alerts = scenario_alerts(scenario)
    assert len(alerts) == len(scenario.planted) >= 1
    assert all(any(finds(a, v) for a in alerts) for v in scenario.planted)


def test_precision_and_recall_over_50_seeds() -> None:
    precision, recall = precision_recall(range(50))
    print(f"compliance over 50 seeds: precision {precision:.3f}, recall {recall:.3f}")
    assert (precision, recall) == (1.0, 1.0)


def test_the_same_seed_gives_the_same_scenario() -> None:
    def dump(seed: int) -> list[str]:
        return [record.model_dump_json() for _, record in generate(seed).events]

    assert dump(7) == dump(7)
    assert dump(7) != dump(8)


def _run_states(
    records: list[Any], round_trip_at: int | None = None
) -> tuple[dict[str, AccountWatch], list[str]]:
    agent = compliance_agent.build(generate(0).limits, generate(0).config)
    assert agent.process is not None
    states: dict[str, AccountWatch] = {}
    out: list[str] = []
    for index, record in enumerate(records):
        if index == round_trip_at:
            states = {
                key: msgspec.json.decode(encode_state(state), type=AccountWatch)
                for key, state in states.items()
            }
        if record.kind not in agent.kinds:
            continue
        key = agent.state_key(record)
        state = states.get(key) or agent.initial(key)
        states[key], emitted = agent.process(state, record, NoView())
        out.extend(alert.model_dump_json() for alert in emitted)
    return states, out


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.floats(0, 1))
def test_runtime_payloads_and_a_state_round_trip_give_the_same_alerts(
    seed: int, where: float
) -> None:
    records: list[Record] = [record for _, record in generate(seed).events]
    _, expected = _run_states(records)
    fast = [decode_payload(r.kind, r.model_dump_json()) for r in records]
    _, replayed = _run_states(fast, round_trip_at=int(where * len(fast)))
    assert replayed == expected
    assert expected


def test_windows_empty_out_once_event_time_moves_on() -> None:
    records: list[Any] = [record for _, record in generate(3).events]
    states, _ = _run_states(records)
    last = max(r.ts_event for r in records)
    later = [
        Fill(
            exec_id="LATE",
            account=account,  # type: ignore[arg-type]
            instrument="synthetic:ALPHA",  # type: ignore[arg-type]
            side="buy",
            qty=1,  # type: ignore[arg-type]
            price=1,  # type: ignore[arg-type]
            fee=0,  # type: ignore[arg-type]
            fee_currency="USD",
            ts_event=last + 7200 * SECOND,
        )
        for account in sorted(states)
    ]
    states, _ = _run_states([*records, *later])
    for watch in states.values():
        assert [leg.event for legs in watch.wash_legs.values() for leg in legs] == [
            f"fill:{watch.account}:LATE"
        ]
        assert watch.exec_ids == {"LATE"}
        assert len(watch.fills) == 1
        assert (watch.cancels, watch.messages, watch.large_orders, watch.large_queue) == (
            [],
            [],
            {},
            [],
        )


def test_the_benchmark_runs_and_reports_both_rates() -> None:
    result = bench_compliance.run(3000)
    assert result["events"] == 3000
    assert result["compliance_events_per_s"] > 0
    assert result["features_events_per_s"] > 0
    assert result["compliance_alerts"] > 0
    assert result["feature_vectors"] > 0
