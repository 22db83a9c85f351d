"""The risk engine: every rule through ``check``, the fixed order, and a standalone use
with the live OMS state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.oms.exposure import account_exposure
from agents.oms.state import AccountBook, Holding, OrderRow
from agents.risk import CHECK_ORDER, RiskRequest, check, valuation_price
from agents.risk.engine import account_notional
from agents.risk.limits import AccountLimits, InstrumentLimits, RiskLimits
from tests.agents.oms.harness import ALPHA, BRAVO, CHARLIE, StaticView, default_view
from tests.factories import T0, submit

D = Decimal
LIMITS = RiskLimits(
    default_account=AccountLimits(
        max_order_qty=D(100),
        max_order_notional=D(5000),
        credit_limit=D(8000),
        max_messages_per_second=3,
        restricted=frozenset({"synthetic:BRAVO"}),
    ),
    default_instrument=InstrumentLimits(price_collar_bps=D(200), position_limit=D(60)),
    instruments={CHARLIE: InstrumentLimits(price_collar_bps=D(200), max_order_qty=D(20))},
)


def alpha(**fields: object):
    data: dict[str, object] = {"instrument": ALPHA, "limit_price": "100", "qty": "10"}
    data.update(fields)
    return submit(**data)


def judge(request, book: AccountBook | None = None, view: StaticView | None = None):
    book = book or AccountBook(account="ACC-1")
    return check(request, account_exposure(book, request.cl_ord_id), LIMITS, view or default_view())


def long_book(position: str = "0", working_buy: str = "0") -> AccountBook:
    book = AccountBook(account="ACC-1")
    book.holdings[ALPHA] = Holding(
        position=D(position),
        last_px=D(100),
        buy_qty=D(working_buy),
        buy_notional=D(working_buy) * 100,
    )
    return book


def test_a_clean_order_is_approved() -> None:
    decision = judge(alpha())
    assert decision.approved
    assert (decision.rule, decision.account, decision.cl_ord_id) == (None, "ACC-1", "C-1")


@pytest.mark.parametrize(
    ("request_fields", "book", "rule", "limit", "observed"),
    [
        (
            {"instrument": BRAVO, "limit_price": "10"},
            None,
            "restricted_instrument",
            "not restricted",
            BRAVO,
        ),
        ({"qty": "101"}, None, "max_order_qty", "100", "101"),
        (
            {"instrument": CHARLIE, "qty": "30", "limit_price": "50"},
            None,
            "max_order_qty",
            "20",
            "30",
        ),
        ({"limit_price": "102.01"}, None, "price_collar", "200 bps", "201.00 bps"),
        ({"qty": "51"}, None, "max_order_notional", "5000", "5100"),
        # CHARLIE has a multiplier of 10: 10 x 50 x 10.
        (
            {"instrument": CHARLIE, "qty": "20", "limit_price": "50"},
            None,
            "max_order_notional",
            "5000",
            "10000",
        ),
        ({"qty": "11"}, long_book(position="30", working_buy="20"), "position_limit", "60", "61"),
        ({"qty": "5", "side": "sell"}, long_book(position="-56"), "position_limit", "60", "-61"),
        # 40 held x 100.00 (mid) + 35 working x 100 + 10 x 100 = 8500.00 > 8000.
        (
            {"qty": "10"},
            long_book(position="-40", working_buy="35"),
            "credit_limit",
            "8000",
            "8500.00",  # the position is marked at the mid, 100.00
        ),
    ],
)
def test_each_rule_denies_with_its_limit_and_observed_value(
    request_fields: dict[str, str], book: AccountBook | None, rule: str, limit: str, observed: str
) -> None:
    decision = judge(alpha(**request_fields), book)
    assert not decision.approved
    assert (decision.rule, decision.limit, decision.observed) == (rule, limit, observed)
    assert decision.reason


def test_duplicate_rate_and_state_come_first() -> None:
    book = AccountBook(account="ACC-1", used_cl_ord_ids={"C-1"}, message_ts=[T0 - 2, T0 - 1, T0])
    # Over every other limit too, yet the duplicate is what is reported.
    assert judge(alpha(qty="1000"), book).rule == "duplicate_cl_ord_id"
    assert judge(alpha(cl_ord_id="C-2", qty="1000"), book).rule == "message_rate"
    halted = AccountBook(account="ACC-1", trading_state="HALTED")
    assert judge(alpha(qty="1000"), halted).rule == "trading_state"
    assert CHECK_ORDER[:3] == ("duplicate_cl_ord_id", "message_rate", "trading_state")


def test_market_orders_are_valued_at_the_far_touch_and_need_a_quote() -> None:
    view = default_view()
    buy = submit(instrument=ALPHA, order_type="market", limit_price=None, qty="10")
    sell = submit(instrument=ALPHA, order_type="market", limit_price=None, side="sell")
    assert valuation_price(buy, view) == D("100.01")
    assert valuation_price(sell, view) == D("99.99")
    over = judge(submit(instrument=ALPHA, order_type="market", limit_price=None, qty="50"))
    assert (over.rule, over.observed) == ("max_order_notional", "5000.50")
    unquoted = StaticView()
    blind = judge(buy, view=unquoted)
    assert (blind.rule, blind.observed) == ("max_order_notional", "no reference price")


def test_a_replace_is_judged_without_the_order_it_replaces() -> None:
    book = AccountBook(account="ACC-1")
    order = OrderRow(
        seq=1,
        order_id="ACC-1-1",
        cl_ord_id="C-1",
        instrument=ALPHA,
        side="buy",
        order_type="limit",
        tif="DAY",
        qty=D(40),
        limit_price=D(100),
        status="PartiallyFilled",
        cum_qty=D(10),
        leaves_qty=D(30),
        ts_accepted=T0,
        ts_last=T0,
    )
    book.orders[order.order_id] = order
    book.holdings[ALPHA] = Holding(
        position=D(10), last_px=D(100), buy_qty=D(30), buy_notional=D(3000)
    )
    terms = RiskRequest(
        account="ACC-1",
        cl_ord_id="C-2",
        instrument=ALPHA,
        side="buy",
        order_type="limit",
        qty=D(50),
        limit_price=D(100),
        ts_event=T0,
    )
    # Judged as a new order it would count the 30 working twice: 10 + 30 + 50 > 60.
    assert check(terms, account_exposure(book, "C-2"), LIMITS, default_view()).rule == (
        "position_limit"
    )
    # As a replace: 10 filled + 40 working = 50, within the limit; credit 1000 + 4000.
    replace = account_exposure(book, "C-2", replacing=order)
    assert check(terms, replace, LIMITS, default_view()).approved
    assert account_notional(replace, default_view()) == D(10) * D(100) + D(3000)


def test_reducing_allows_a_replace_that_shrinks_the_order() -> None:
    book = AccountBook(account="ACC-1", trading_state="REDUCING")
    order = OrderRow(
        seq=1,
        order_id="ACC-1-1",
        cl_ord_id="C-1",
        instrument=ALPHA,
        side="buy",
        order_type="limit",
        tif="DAY",
        qty=D(10),
        limit_price=D(100),
        status="New",
        leaves_qty=D(10),
        ts_accepted=T0,
        ts_last=T0,
    )
    smaller = RiskRequest(
        account="ACC-1",
        cl_ord_id="C-2",
        instrument=ALPHA,
        side="buy",
        order_type="limit",
        qty=D(5),
        limit_price=D(100),
        ts_event=T0,
    )
    exposure = account_exposure(book, "C-2", replacing=order)
    assert check(smaller, exposure, LIMITS, default_view()).approved
    bigger = RiskRequest(
        **{**{f: getattr(smaller, f) for f in smaller.__struct_fields__}, "qty": D(11)}
    )
    assert check(bigger, exposure, LIMITS, default_view()).rule == "trading_state"
