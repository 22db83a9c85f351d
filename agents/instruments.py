"""The instrument registry: tick size, lot size, multiplier and currencies per instrument.

Built in: the synthetic feed's instruments and those of the shared market data.
``--instruments FILE.toml`` adds more (``[[instrument]]`` tables with the fields of
``schemas.InstrumentDefinition``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from agents.config_files import parse_toml, read_config
from schemas import InstrumentDefinition, SchemaError, TapelineError, validate_record


class UnknownInstrumentError(TapelineError):
    pass


def _define(
    venue: str,
    symbol: str,
    tick: str,
    lot: str,
    base: str,
    quote: str,
    multiplier: str = "1",
    settlement: str | None = None,
) -> InstrumentDefinition:
    return InstrumentDefinition(
        instrument=f"{venue}:{symbol}",  # type: ignore[arg-type]
        venue=venue,
        symbol=symbol,
        tick_size=tick,  # type: ignore[arg-type]
        lot_size=lot,  # type: ignore[arg-type]
        multiplier=multiplier,  # type: ignore[arg-type]
        base_currency=base,
        quote_currency=quote,
        settlement_currency=settlement or quote,
        ts_event=0,
    )


BUILT_IN: tuple[InstrumentDefinition, ...] = (
    _define("binance-futures", "BTCUSDT", "0.01", "0.001", "BTC", "USDT"),
    _define("binance-futures", "ETHUSDT", "0.01", "0.001", "ETH", "USDT"),
    _define("binance", "BTCUSDT", "0.01", "0.00001", "BTC", "USDT"),
    _define("coinbase", "BTC-USD", "0.01", "0.00000001", "BTC", "USD"),
    _define("bitmex", "XBTUSD", "0.5", "1", "XBT", "USD"),
    _define("huobi-dm-swap", "BTC-USD", "0.1", "1", "BTC", "USD"),
    _define("truefx", "USDJPY", "0.001", "1000", "USD", "JPY"),
    _define("synthetic", "ALPHA", "0.01", "1", "ALPHA", "USD"),
    _define("synthetic", "BRAVO", "0.01", "1", "BRAVO", "USD"),
    _define("synthetic", "CHARLIE", "0.05", "10", "CHARLIE", "USD", multiplier="10"),
)


class InstrumentRegistry:
    def __init__(self, definitions: Iterable[InstrumentDefinition] = BUILT_IN) -> None:
        self._by_id: dict[str, InstrumentDefinition] = {d.instrument: d for d in definitions}

    def get(self, instrument: str) -> InstrumentDefinition | None:
        return self._by_id.get(instrument)

    def require(self, instrument: str) -> InstrumentDefinition:
        definition = self._by_id.get(instrument)
        if definition is None:
            raise UnknownInstrumentError(
                f"unknown instrument {instrument[:60]!r}; add it with --instruments FILE.toml"
            )
        return definition

    def __contains__(self, instrument: object) -> bool:
        return instrument in self._by_id

    def all(self) -> Mapping[str, InstrumentDefinition]:
        return dict(self._by_id)

    def extended(self, definitions: Iterable[InstrumentDefinition]) -> InstrumentRegistry:
        return InstrumentRegistry([*self._by_id.values(), *definitions])


def load_instruments_toml(path: Path) -> list[InstrumentDefinition]:
    """Parse ``[[instrument]]`` tables; a bad file names the entry and the field."""
    document = parse_toml(read_config(path, "instruments"), str(path))
    entries = document.get("instrument", [])
    if not isinstance(entries, list):
        raise TapelineError(f"{path}: 'instrument' must be an array of tables ([[instrument]])")
    definitions = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise TapelineError(f"{path}: instrument #{number} is not a table")
        data = {"kind": "instrument", "ts_event": 0, **entry}
        data.setdefault("instrument", f"{entry.get('venue')}:{entry.get('symbol')}")
        data.setdefault("multiplier", "1")
        data.setdefault("settlement_currency", entry.get("quote_currency"))
        try:
            record = validate_record(data)
        except SchemaError as error:
            raise TapelineError(f"{path}: instrument #{number}: {error}") from None
        assert isinstance(record, InstrumentDefinition)
        definitions.append(record)
    return definitions
