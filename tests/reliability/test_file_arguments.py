"""File arguments stay where they point, and a bad path is one clear error.

`schemas export DIR` writes only ``KIND.schema.json`` files directly inside DIR; a path
that cannot be used (a directory given as a file, a file given as a directory, a missing
file) is refused with a TapelineError by `log append`, `schemas export`, `--data-dir`
and the config options, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from agents.cli.log_cmd import append, verify
from agents.cli.schemas_cmd import export
from agents.registry import adopt_config
from schemas import KINDS, TapelineError
from streams.topics import EXEC_REPORTS
from tests.reliability import ledger


def test_schemas_export_writes_only_inside_the_directory(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "schemas"
    export(directory=target)
    written = {
        path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file()
    }
    expected = {f"nested/schemas/{kind}.schema.json" for kind in [*KINDS, "envelope"]}
    assert written == expected


def _directory(tmp_path: Path) -> Path:
    return tmp_path


def _plain_file(tmp_path: Path) -> Path:
    path = tmp_path / "plain.txt"
    path.write_text("not a directory\n")
    return path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "missing" / "nothing.jsonl"


def _under_a_file(tmp_path: Path) -> Path:
    return _plain_file(tmp_path) / "child"


BAD_PATHS: list[Callable[[Path], Path]] = [_directory, _missing, _under_a_file]


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_log_append_refuses_an_unreadable_source_clearly(
    tmp_path: Path, bad: Callable[[Path], Path]
) -> None:
    ledger.add(ledger.HOSTILE)
    with pytest.raises(TapelineError):
        append(file=bad(tmp_path), topic=EXEC_REPORTS, data_dir=tmp_path / "data")


def test_schemas_export_refuses_a_file_as_its_directory(tmp_path: Path) -> None:
    ledger.add(ledger.HOSTILE, 2)
    with pytest.raises(TapelineError):
        export(directory=_plain_file(tmp_path))
    with pytest.raises(TapelineError):
        export(directory=_under_a_file(tmp_path))


@pytest.mark.parametrize("bad", [_plain_file, _under_a_file])
def test_a_data_dir_that_is_a_file_is_refused_clearly(
    tmp_path: Path, bad: Callable[[Path], Path]
) -> None:
    ledger.add(ledger.HOSTILE)
    with pytest.raises(TapelineError):
        verify(data_dir=bad(tmp_path))
    with pytest.raises(TapelineError):
        append(file=_plain_file(tmp_path), topic=EXEC_REPORTS, data_dir=bad(tmp_path))


@pytest.mark.parametrize("bad", BAD_PATHS)
@pytest.mark.parametrize("option", ["instruments", "limits", "surveillance"])
def test_config_options_refuse_an_unusable_path_clearly(
    tmp_path: Path, bad: Callable[[Path], Path], option: str
) -> None:
    ledger.add(ledger.HOSTILE)
    paths: dict[str, Path | None] = {"instruments": None, "limits": None, "surveillance": None}
    paths[option] = bad(tmp_path)
    with pytest.raises(TapelineError):
        adopt_config(
            tmp_path / "data", paths["instruments"], paths["limits"], paths["surveillance"]
        )
