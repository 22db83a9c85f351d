"""The ``exeq`` table: the latest execution-quality report per order, and per-account
and per-instrument aggregates computed when read.

Aggregates (``summary_rows``), per (account, instrument):

* ``orders``: reports' orders; ``filled_orders``: those with a fill; ``final``: those
  whose every horizon has passed.
* ``fill_rate``: ``sum(cum_qty) / sum(order_qty)`` (the quantity-weighted fill rate).
* bps figures: averages weighted by filled quantity, over the orders where the figure is
  measurable (an order without fills, or without a quote, weighs nothing).
* ``implementation_shortfall``: the sum, in currency.

Every bps figure is quantized like the reports (``metrics.BPS_EXPONENT``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from operator import attrgetter
from typing import Any

import msgspec

from agents.exeq.metrics import TCA_CONTEXT, ZERO, quantize_bps
from agents.exeq.state import ExeqRow
from schemas import ExecutionQuality

_REPORT_FIELDS = tuple(name for name in ExeqRow.__struct_fields__ if name != "reports")
_report_values = attrgetter(*_REPORT_FIELDS)
WEIGHTED_BPS = (
    "arrival_slippage_bps",
    "vwap_slippage_bps",
    "implementation_shortfall_bps",
    "markout_100ms_bps",
    "markout_1s_bps",
    "markout_5s_bps",
    "markout_60s_bps",
)


def row_key(report: ExecutionQuality) -> str:
    """``account|order_id``: the provisional and the final report land on one row."""
    return f"{report.account}|{report.order_id}"


def initial_row(key: str) -> ExeqRow:
    account, _, order_id = key.partition("|")
    return ExeqRow(account=account, order_id=order_id)


def apply_report(row: ExeqRow, report: ExecutionQuality) -> ExeqRow:
    """The newer report wins, except that a provisional report never replaces a final one."""
    if row.final and not report.final:
        return msgspec.structs.replace(row, reports=row.reports + 1)
    # attrgetter reads the 27 fields in C; a dict comprehension of getattr was the fold's
    # main cost
    return ExeqRow(**dict(zip(_REPORT_FIELDS, _report_values(report), strict=True)),
                   reports=row.reports + 1)  # fmt: skip


def _text(value: object) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def present(key: str, row: ExeqRow, tables: Mapping[str, Any]) -> dict[str, Any]:
    """One order's row, JSON-friendly: decimals as strings, unmeasured figures as None."""
    return {name: _text(getattr(row, name)) for name in ExeqRow.__struct_fields__}


class _Aggregate:
    __slots__ = ("filled", "final", "ordered", "orders", "qty", "shortfall", "weighted")

    def __init__(self) -> None:
        self.orders = self.filled = self.final = 0
        self.ordered = self.qty = self.shortfall = ZERO
        self.weighted: dict[str, list[Decimal]] = {name: [ZERO, ZERO] for name in WEIGHTED_BPS}

    def add(self, row: ExeqRow) -> None:
        self.orders += 1
        self.final += row.final
        self.ordered += row.order_qty
        self.qty += row.cum_qty
        if row.cum_qty > ZERO:
            self.filled += 1
        if row.implementation_shortfall is not None:
            self.shortfall += row.implementation_shortfall
        for name, sums in self.weighted.items():
            value = getattr(row, name)
            if value is not None and row.cum_qty > ZERO:
                sums[0] += value * row.cum_qty
                sums[1] += row.cum_qty


def summary_rows(rows: Iterable[ExeqRow]) -> list[dict[str, Any]]:
    """Aggregates per (account, instrument), sorted, JSON-friendly (see the module doc)."""
    groups: dict[tuple[str, str], _Aggregate] = {}
    for row in rows:
        groups.setdefault((row.account, row.instrument), _Aggregate()).add(row)
    result = []
    for (account, instrument), group in sorted(groups.items()):
        summary: dict[str, Any] = {
            "account": account,
            "instrument": instrument,
            "orders": group.orders,
            "filled_orders": group.filled,
            "final": group.final,
            "order_qty": str(group.ordered),
            "cum_qty": str(group.qty),
            "fill_rate": str(TCA_CONTEXT.divide(group.qty, group.ordered)),
            "implementation_shortfall": str(group.shortfall),
        }
        for name, (total, weight) in group.weighted.items():
            summary[name] = (
                None if weight == ZERO else str(quantize_bps(TCA_CONTEXT.divide(total, weight)))
            )
        result.append(summary)
    return result
