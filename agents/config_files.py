"""Reading the TOML configuration files (instruments, risk limits, surveillance) with
errors that name the file, and the line where the TOML is broken."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from schemas import TapelineError


def read_config(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TapelineError(f"{path}: cannot read the {what}: {error}") from None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message ends with "(at line N, column M)".
        raise TapelineError(f"{source}: not valid TOML: {error}") from None
