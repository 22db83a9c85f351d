"""The OMS builds its acceptances (and risk its approvals) without pydantic's validation:
they must equal, and serialize as, what validation gives."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.oms.requests import MAX_ID_LENGTH, accepted
from agents.oms.state import AccountBook
from agents.risk.engine import decision
from schemas import OrderAccepted, Record, RiskDecision, SubmitOrder
from streams.codec import decode_payload
from tests.factories import submit
from tests.strategies import records

mids = st.none() | st.decimals(
    min_value=Decimal("0.00000001"), max_value=Decimal("1e12"), places=8, allow_nan=False
).filter(lambda d: d > 0)


def _decoded(command: Record) -> SubmitOrder:
    """The command as the runtime hands it to decide: decoded from its logged bytes."""
    decoded: SubmitOrder = decode_payload(command.KIND, command.model_dump_json().encode())
    return decoded


@settings(max_examples=300, deadline=None)
@given(records("submit_order"), st.integers(min_value=0, max_value=10**6), mids)
def test_an_acceptance_is_what_validation_gives(
    command: Record, done: int, mid: Decimal | None
) -> None:
    assert isinstance(command, SubmitOrder)
    book = AccountBook(account=command.account, accepted=done)
    built = accepted(book, _decoded(command), mid)
    validated = OrderAccepted(
        account=command.account,
        cl_ord_id=command.cl_ord_id,
        order_id=f"{command.account}-{done + 1}",
        instrument=command.instrument,
        side=command.side,
        order_type=command.order_type,
        qty=command.qty,
        limit_price=command.limit_price,
        tif=command.tif,
        expire_ts=command.expire_ts,
        arrival_mid=mid,
        ts_command=command.ts_event,
        ts_event=command.ts_event,
    )
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert OrderAccepted.model_validate_json(built.model_dump_json()) == validated


def test_an_order_id_longer_than_an_id_is_refused() -> None:
    account = "A" * MAX_ID_LENGTH
    book = AccountBook(account=account)
    with pytest.raises(ValueError, match="longer than 128"):
        accepted(book, _decoded(submit(account=account)), None)


@pytest.mark.parametrize("mid", [Decimal(0), Decimal(-1), Decimal("1e15")])
def test_an_arrival_mid_that_is_no_price_is_refused(mid: Decimal) -> None:
    with pytest.raises(ValueError, match="not a positive price"):
        accepted(AccountBook(account="ACC-1"), _decoded(submit()), mid)


@settings(max_examples=200, deadline=None)
@given(records("submit_order"))
def test_an_approval_is_what_validation_gives(command: Record) -> None:
    assert isinstance(command, SubmitOrder)
    built = decision(_decoded(command), None)
    validated = RiskDecision(
        account=command.account,
        cl_ord_id=command.cl_ord_id,
        approved=True,
        reason="approved",
        ts_event=command.ts_event,
    )
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
