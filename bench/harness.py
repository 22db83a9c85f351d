"""What every benchmark shares: timing, machine facts, and printing JSON plus a table."""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agents.cli.common import progress_bar

T = TypeVar("T")

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(terse=True),
        "processor": platform.processor() or platform.machine(),
    }


def progress() -> Progress:
    return progress_bar(always=True)


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """Yields a function that returns the seconds elapsed (frozen once the block ends)."""
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def peak_rss_mb() -> float:
    """This process's own peak resident set size, in MB.

    ``VmHWM`` belongs to the process's address space, which exec makes anew; ru_maxrss
    would also count the parent's peak, which a child inherits at fork.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(name: str, results: dict[str, Any], as_json: bool) -> None:
    """One JSON object (``--json``) or a table; both carry the machine it ran on."""
    document = {"benchmark": name, "machine": machine(), **results}
    if as_json:
        out.print(json.dumps(document, sort_keys=True), markup=False)
        return
    table = Table("metric", "value", title=f"bench {name}")
    for key, value in results.items():
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        table.add_row(key, shown)
    out.print(table)
