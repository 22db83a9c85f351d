"""The Feast boundary: loading the feature repository and applying its definitions.

Feast is an optional extra (``tapeline[features]``): nothing here imports it at module
level, so the core package and the CLI work without it, and using the feature store
without it is a TapelineError that says what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from agents.feature_store.frame import parquet_schema
from schemas import TapelineError

if TYPE_CHECKING:
    from feast import FeatureStore

DEFAULT_VALKEY = "127.0.0.1:6379"
REPO_PATH = Path(__file__).resolve().parents[2] / "deploy" / "feast"
"""The feature repository of this checkout (feature_store.yaml + features.py)."""
PUSH_SOURCE = "features_push"
FEATURE_VIEW = "instrument_features"


class FeastMissingError(TapelineError):
    """The ``[features]`` extra is not installed."""


class FeatureRepoError(TapelineError):
    """The feature repository is missing or does not load."""


def require_feast() -> ModuleType:
    """The ``feast`` module, or a FeastMissingError saying how to get it."""
    # Feast phones home unless told not to; our runs are offline.
    os.environ.setdefault("FEAST_USAGE", "False")
    try:
        return importlib.import_module("feast")
    except ImportError as error:
        raise FeastMissingError(
            f"the feature store needs Feast ({error}); install it with "
            "pip install 'tapeline[features]'"
        ) from None


@dataclass(frozen=True)
class FeastSettings:
    """Where the repository, its data (registry + parquet) and the online store are."""

    repo_path: Path = REPO_PATH
    data_dir: Path | None = None
    """None: ``$TAPELINE_FEAST_DATA``, else ``$TAPELINE_RUN_DIR/feast``, else .run/feast."""
    valkey: str | None = None
    """host:port[,redis-py options]; None: ``$TAPELINE_VALKEY``, else 127.0.0.1:6379."""

    def resolved(self, environ: Mapping[str, str] | None = None) -> FeastRepo:
        """Every default filled in from ``environ`` (the process environment)."""
        env = os.environ if environ is None else environ
        data_dir = self.data_dir
        if data_dir is None:
            if env.get("TAPELINE_FEAST_DATA"):
                data_dir = Path(env["TAPELINE_FEAST_DATA"])
            else:
                run_dir = env.get("TAPELINE_RUN_DIR")
                base = Path(run_dir) if run_dir else self.repo_path.parents[1] / ".run"
                data_dir = base / "feast"
        valkey = self.valkey or env.get("TAPELINE_VALKEY") or DEFAULT_VALKEY
        return FeastRepo(self.repo_path, data_dir.resolve(), valkey)


@dataclass(frozen=True)
class FeastRepo:
    """Resolved FeastSettings: the repository, its data dir and the online store."""

    repo_path: Path
    data_dir: Path
    valkey: str


def load_store(repo: FeastRepo) -> FeatureStore:
    """A FeatureStore over ``feature_store.yaml`` with the settings' paths filled in.

    Substitutes ``${TAPELINE_FEAST_DATA}`` and ``${TAPELINE_VALKEY}`` itself (Feast's own
    loader would need them in the process environment).
    """
    feast = require_feast()
    import yaml  # type: ignore[import-untyped, unused-ignore]  # no stubs
    from feast.repo_config import RepoConfig

    config_file = repo.repo_path / "feature_store.yaml"
    try:
        text = config_file.read_text()
    except OSError as error:
        raise FeatureRepoError(f"no feature repository at {repo.repo_path}: {error}") from None
    text = string.Template(text).safe_substitute(
        TAPELINE_FEAST_DATA=str(repo.data_dir), TAPELINE_VALKEY=repo.valkey
    )
    config = RepoConfig(**yaml.safe_load(text))
    config.repo_path = repo.repo_path
    store: FeatureStore = feast.FeatureStore(config=config)
    return store


def definitions(repo: FeastRepo) -> list[Any]:
    """The repository's Feast objects (``features.py: definitions``) for this data dir."""
    require_feast()
    path = repo.repo_path / "features.py"
    spec = importlib.util.spec_from_file_location("tapeline_feast_features", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise FeatureRepoError(f"no features.py in the feature repository {repo.repo_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    objects: list[Any] = module.definitions(repo.data_dir)
    return objects


def ensure_applied(store: FeatureStore, repo: FeastRepo) -> None:
    """Create the (empty) parquet file and register the definitions; idempotent.

    Feast's file offline store appends to the batch source's parquet file and needs it
    to exist with the right columns before the first push.
    """
    import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]  # no stubs

    feast = require_feast()
    objects = definitions(repo)
    for source in objects:
        if isinstance(source, feast.PushSource):
            parquet = Path(source.batch_source.path)
            if not parquet.exists():
                parquet.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(parquet_schema().empty_table(), parquet)
    store.apply(objects)
