"""Run the real `tapeline` entry point in a subprocess, as a user's script would."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def tapeline(*args: str | Path, data_dir: Path | None = None) -> Result:
    command = [sys.executable, "-m", "agents.cli", *map(str, args)]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr
    return Result(done.returncode, done.stdout, done.stderr)
