"""Positions fold beside NautilusTrader's ``Position.apply`` on the same fills.

One long position takes every fill (buys, and sells that never close it, so neither side
resets or flips: Nautilus starts a new position cycle when one goes flat, Tapeline keeps
accumulating). Both sides are timed block by block in the same process, one after the
other, so the ns per fill at 1k, 10k, 100k fills of history are comparable; the ratio is
what stays meaningful on a shared machine.

Equality is asserted at every checkpoint. Tapeline computes in Decimal (exact sums, 28
significant digits for the average); Nautilus computes in binary doubles and rounds the
realized PnL to the currency's 8 decimals after every fill, so identical means:

* quantity: exactly equal (Nautilus rounds its signed quantity to the size precision);
* average open price: relative difference <= ``AVG_PRICE_RTOL`` (1e-9);
* realized PnL (net of fees in the settlement currency): absolute difference
  <= ``PNL_ATOL_PER_FILL`` x fills (one 1e-8 rounding step per fill, the bound its
  fixed-point Money forces), and the observed difference is reported.

Needs ``nautilus_trader`` (a bench extra); without it the benchmark reports a skip.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from agents.instruments import InstrumentRegistry
from agents.positions.fold import apply_fill
from agents.positions.state import Position
from bench.harness import progress
from bench.report import size_label
from schemas import Fill
from streams.codec import decode_payload

INSTRUMENT = "binance-futures:BTCUSDT"
AVG_PRICE_RTOL = Decimal("1e-9")
PNL_ATOL_PER_FILL = Decimal("1e-8")
T0 = 1_700_000_000_000_000_000
LOT = Decimal("0.001")


class FillSpec(NamedTuple):
    """One fill, as both sides receive it."""

    buy: bool
    qty: Decimal
    price: Decimal
    fee: Decimal


def make_specs(count: int, seed: int = 7) -> list[FillSpec]:
    """Seeded fills that keep one long position open: sells never take it below one lot.

    Prices have one decimal (the Nautilus perpetual's precision), sizes three, fees four.
    """
    rng = random.Random(seed)
    held = 0  # lots
    specs = []
    for _ in range(count):
        lots = rng.randint(1, 50)
        buy = held <= 50 or rng.random() < 0.5
        if not buy:
            lots = min(lots, held - 1)
        held += lots if buy else -lots
        price = Decimal(rng.randint(90_000, 110_000)) / 10
        fee = Decimal(rng.randint(0, 200)) / 10_000
        specs.append(FillSpec(buy, lots * LOT, price, fee))
    return specs


def tapeline_fills(specs: Sequence[FillSpec]) -> list[Any]:
    """Decoded fills (msgspec structs, what the fold receives at runtime)."""
    decoded = []
    for i, spec in enumerate(specs):
        fill = Fill(
            exec_id=f"X-{i}",
            account="ACC-1",  # type: ignore[arg-type]
            instrument=INSTRUMENT,  # type: ignore[arg-type]
            side="buy" if spec.buy else "sell",
            qty=spec.qty,
            price=spec.price,
            fee=spec.fee,
            fee_currency="USDT",
            ts_event=T0 + i,
        )
        decoded.append(decode_payload("fill", fill.model_dump_json()))
    return decoded


def _nt(module: str) -> Any:
    """A ``nautilus_trader`` module, untyped (its Cython modules ship no stubs)."""
    return importlib.import_module(f"nautilus_trader.{module}".rstrip("."))


def nautilus_fills(specs: Sequence[FillSpec]) -> tuple[Any, list[Any]]:
    """The Nautilus instrument and ``OrderFilled`` events built with its model constructors."""
    ids, objects = _nt("model.identifiers"), _nt("model.objects")
    enums = _nt("model.enums")
    order_filled, uuid4 = _nt("model.events").OrderFilled, _nt("core.uuid").UUID4
    money, price, quantity = objects.Money, objects.Price, objects.Quantity
    buy, sell = enums.OrderSide.BUY, enums.OrderSide.SELL
    instrument = _nt("test_kit.providers").TestInstrumentProvider.btcusdt_perp_binance()
    usdt = instrument.quote_currency
    trader, strategy = ids.TraderId("TESTER-001"), ids.StrategyId("S-001")
    account, position = ids.AccountId("BINANCE-001"), ids.PositionId("P-1")
    events = [
        order_filled(
            trader_id=trader,
            strategy_id=strategy,
            instrument_id=instrument.id,
            client_order_id=ids.ClientOrderId(f"O-{i}"),
            venue_order_id=ids.VenueOrderId(f"V-{i}"),
            account_id=account,
            trade_id=ids.TradeId(f"X-{i}"),
            position_id=position,
            order_side=buy if spec.buy else sell,
            order_type=enums.OrderType.LIMIT,
            last_qty=quantity.from_str(str(spec.qty)),
            last_px=price.from_str(str(spec.price)),
            currency=usdt,
            commission=money(spec.fee, usdt),
            liquidity_side=enums.LiquiditySide.TAKER,
            event_id=uuid4(),
            ts_event=T0 + i,
            ts_init=T0 + i,
        )
        for i, spec in enumerate(specs)
    ]
    return instrument, events


class Snapshot(NamedTuple):
    """Both sides' state after ``fills`` fills, as Decimals."""

    fills: int
    qty: Decimal
    avg_price: Decimal
    realized_pnl: Decimal


def time_tapeline(
    fills: Sequence[Any], block: int, checkpoints: set[int]
) -> tuple[list[float], list[Snapshot]]:
    """ns per fill of each block through ``apply_fill``, and the state at each checkpoint."""
    definition = InstrumentRegistry().require(INSTRUMENT)
    position = Position(account="ACC-1", instrument=INSTRUMENT)
    blocks: list[float] = []
    snapshots: list[Snapshot] = []
    for start in range(0, len(fills), block):
        chunk = fills[start : start + block]
        begin = time.perf_counter_ns()
        for fill in chunk:
            position = apply_fill(position, fill, definition)
        blocks.append((time.perf_counter_ns() - begin) / len(chunk))
        done = start + len(chunk)
        if done in checkpoints:
            snapshots.append(
                Snapshot(done, position.qty, position.avg_price, position.realized_pnl)
            )
    return blocks, snapshots


def time_nautilus(
    instrument: Any, fills: Sequence[Any], block: int, checkpoints: set[int], on_block: Any = None
) -> tuple[list[float], list[Snapshot]]:
    """The same for ``Position(instrument, first)`` then ``position.apply(fill)``."""
    nautilus_position = _nt("model.position").Position

    position: Any = None
    blocks: list[float] = []
    snapshots: list[Snapshot] = []
    for start in range(0, len(fills), block):
        chunk = fills[start : start + block]
        begin = time.perf_counter_ns()
        for fill in chunk:
            if position is None:
                position = nautilus_position(instrument, fill)
            else:
                position.apply(fill)
        blocks.append((time.perf_counter_ns() - begin) / len(chunk))
        done = start + len(chunk)
        if on_block is not None:
            on_block(done)
        if done in checkpoints:
            snapshots.append(
                Snapshot(
                    done,
                    Decimal(repr(position.signed_qty)).quantize(LOT),
                    Decimal(repr(position.avg_px_open)),
                    position.realized_pnl.as_decimal(),
                )
            )
    return blocks, snapshots


def check_equal(ours: Snapshot, theirs: Snapshot) -> dict[str, Any]:
    """Raises AssertionError unless both agree within the stated tolerances."""
    assert ours.fills == theirs.fills
    assert ours.qty == theirs.qty, f"qty {ours.qty} != {theirs.qty} at {ours.fills}"
    avg_rel = abs(ours.avg_price - theirs.avg_price) / ours.avg_price
    assert avg_rel <= AVG_PRICE_RTOL, f"avg price {ours.avg_price} vs {theirs.avg_price}"
    pnl_diff = abs(ours.realized_pnl - theirs.realized_pnl)
    bound = PNL_ATOL_PER_FILL * ours.fills
    assert pnl_diff <= bound, f"pnl {ours.realized_pnl} vs {theirs.realized_pnl} at {ours.fills}"
    return {
        "fills": ours.fills,
        "realized_pnl": str(ours.realized_pnl),
        "nautilus_realized_pnl": str(theirs.realized_pnl),
        "pnl_abs_diff": float(pnl_diff),
        "pnl_tolerance": float(bound),
        "avg_price": str(ours.avg_price),
        "avg_price_rel_diff": float(avg_rel),
    }


def _mean(blocks: Sequence[float], start: int, stop: int, block: int) -> float:
    chosen = blocks[start // block : stop // block]
    return sum(chosen) / len(chosen)


def compare(fills: int, nautilus_max: int, block: int = 1000) -> dict[str, Any]:
    """Both folds on the same ``fills`` (Nautilus on the first ``nautilus_max``)."""
    try:
        version = _nt("").__version__
    except ImportError:
        return {"skipped": "nautilus_trader is not installed (pip install nautilus_trader)"}
    theirs_count = min(fills, nautilus_max)
    marks = {n for n in (1000, 10_000, 20_000, 100_000, 1_000_000) if n <= fills} | {fills}
    checkpoints = {n for n in marks if n % block == 0}
    specs = make_specs(fills)
    ours_blocks, ours_snaps = time_tapeline(tapeline_fills(specs), block, checkpoints)
    instrument, events = nautilus_fills(specs[:theirs_count])
    with progress() as bar:
        task = bar.add_task("nautilus Position.apply", total=theirs_count)
        theirs_blocks, theirs_snaps = time_nautilus(
            instrument, events, block, checkpoints,
            lambda n: bar.update(task, completed=n),
        )  # fmt: skip
    equality = [check_equal(o, t) for o, t in zip(ours_snaps, theirs_snaps, strict=False)]
    result: dict[str, Any] = {
        "nautilus_version": version,
        "fills": fills,
        "nautilus_fills": theirs_count,
        "block": block,
        "equality": equality,
        "identical_within_tolerance": True,  # check_equal raised otherwise
        "max_pnl_abs_diff": max((e["pnl_abs_diff"] for e in equality), default=0.0),
        "max_avg_price_rel_diff": max((e["avg_price_rel_diff"] for e in equality), default=0.0),
        "ns_per_fill_blocks": [round(b) for b in ours_blocks],
        "nautilus_ns_per_fill_blocks": [round(b) for b in theirs_blocks],
    }
    for mark in sorted(checkpoints):
        label = size_label(mark)
        ours = ours_blocks[mark // block - 1]
        result[f"ns_per_fill_at_{label}"] = round(ours)
        if mark <= theirs_count:
            theirs = theirs_blocks[mark // block - 1]
            result[f"nautilus_ns_per_fill_at_{label}"] = round(theirs)
            result[f"speedup_at_{label}"] = round(theirs / ours, 1)
    if theirs_count >= 20_000 and fills >= 20_000:
        ours_20k = _mean(ours_blocks, 0, 20_000, block)
        theirs_first = _mean(theirs_blocks, 0, 10_000, block)
        theirs_next = _mean(theirs_blocks, 10_000, 20_000, block)
        result["nautilus_us_per_fill_first_10k"] = round(theirs_first / 1000, 2)
        result["nautilus_us_per_fill_next_10k"] = round(theirs_next / 1000, 2)
        result["ns_per_fill_mean_20k"] = round(ours_20k)
        result["speedup_20k_position"] = round((theirs_first + theirs_next) / 2 / ours_20k, 1)
        result["target_100x_met"] = result["speedup_20k_position"] >= 100
    return result


def run(fills: int = 100_000, nautilus_max: int = 20_000, block: int = 1000) -> dict[str, Any]:
    return compare(fills, nautilus_max, block)
