"""Replay scaling: time and peak memory at growing journal sizes (10k, 100k, 1M events).

Each size gets its own journal (fills over 20 accounts and 3 instruments, as in
``bench.journal``) and is replayed through every replayable agent in a *fresh* process,
so the peak RSS is that replay's alone. ``baseline_rss_mb`` is the same process after its
imports, before the replay: ``replay_growth_mb`` = peak - baseline is what the events
cost. Replay should be linear in time (events/s flat across sizes) and flat in memory
(state is per account x instrument, not per event). ``plot`` draws both as a PNG.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.journal import fill_journal
from bench.report import size_label
from streams.sqlite_journal import SqliteJournal

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)


def _status_mb(field: str) -> float:
    """A ``/proc/self/status`` memory line (kB) in MB: VmRSS now, VmHWM the peak.

    VmHWM belongs to this process's address space, so unlike ``ru_maxrss`` (which Linux
    carries over fork + exec) it is not inflated by a large parent such as `bench all`.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def replay_measured(path: Path) -> dict[str, float]:
    """Run in a fresh process: replay the journal at ``path``; seconds, baseline and peak RSS."""
    from agents.registry import Config, build_agents
    from streams.replay import replay

    agents = build_agents(Config())
    journal = SqliteJournal(path)
    baseline = _status_mb("VmRSS")
    begin = time.perf_counter()
    done = replay(journal, agents)
    seconds = time.perf_counter() - begin
    journal.close_now()
    return {"events": done.events, "seconds": seconds, "baseline_rss_mb": baseline,
            "peak_rss_mb": _status_mb("VmHWM")}  # fmt: skip


def _replay_in_child(path: Path) -> dict[str, float]:
    code = (
        "import json, sys; from pathlib import Path; "
        "from bench.scaling import replay_measured; "
        "print(json.dumps(replay_measured(Path(sys.argv[1]))))"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(events: int) -> dict[str, Any]:
    """One size: build the journal, replay it in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        journal = SqliteJournal.in_dir(Path(tmp))
        fill_journal(journal, events)
        journal.close_now()
        child = _replay_in_child(Path(tmp) / "journal.sqlite")
    assert child["events"] == events, "replay lost records"
    return {
        "events": events,
        "replay_s": child["seconds"],
        "replay_events_per_s": events / child["seconds"],
        "baseline_rss_mb": child["baseline_rss_mb"],
        "peak_rss_mb": child["peak_rss_mb"],
        "replay_growth_mb": child["peak_rss_mb"] - child["baseline_rss_mb"],
    }


def run(sizes: Sequence[int] = DEFAULT_SIZES) -> dict[str, Any]:
    """Every size, smallest first, and how far from linear/flat the largest is."""
    points = [measure(n) for n in sorted(sizes)]
    first, last = points[0], points[-1]
    return {
        "sizes": [p["events"] for p in points],
        "points": points,
        "at": {size_label(p["events"]): _summary(p) for p in points},
        "rate_last_to_first": last["replay_events_per_s"] / first["replay_events_per_s"],
        "peak_rss_last_minus_first_mb": last["peak_rss_mb"] - first["peak_rss_mb"],
    }


def _summary(point: dict[str, Any]) -> dict[str, Any]:
    keys = ("replay_s", "replay_events_per_s", "peak_rss_mb", "replay_growth_mb")
    return {key: point[key] for key in keys}


def plot(result: dict[str, Any], path: Path) -> Path:
    """Replay seconds and peak RSS against events (log x), with the linear reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = result["points"]
    events = [p["events"] for p in points]
    seconds = [p["replay_s"] for p in points]
    linear = [seconds[0] * n / events[0] for n in events]
    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(9, 3.5), dpi=80)
    time_axis.loglog(events, seconds, "o-", label="replay")
    time_axis.loglog(events, linear, "--", color="grey", label="linear from smallest")
    time_axis.set(xlabel="events", ylabel="seconds", title="Replay time")
    time_axis.legend()
    memory_axis.semilogx(events, [p["peak_rss_mb"] for p in points], "o-", label="peak RSS")
    memory_axis.semilogx(events, [p["baseline_rss_mb"] for p in points], "--", label="baseline")
    memory_axis.set(xlabel="events", ylabel="MB", title="Replay memory", ylim=(0, None))
    memory_axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def plot_positions(result: dict[str, Any], path: Path) -> Path:
    """ns per fill against history length: Tapeline's fold beside Nautilus's Position."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    block = result["block"]
    ours = result["ns_per_fill_blocks"]
    theirs = result["nautilus_ns_per_fill_blocks"]
    figure, axis = plt.subplots(figsize=(6, 3.5), dpi=80)
    axis.semilogy([block * (i + 1) for i in range(len(ours))], ours, label="tapeline apply_fill")
    axis.semilogy(
        [block * (i + 1) for i in range(len(theirs))], theirs, label="nautilus Position.apply"
    )
    axis.set(xlabel="fills in the position", ylabel="ns per fill", title="Cost per fill")
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
