"""feature-push: feature vectors from the journal into a Feast feature store.

Needs the optional extra ``tapeline[features]`` (Feast with its redis online store);
importing this package does not, using it without the extra raises FeastMissingError.
"""

from agents.feature_store.frame import COLUMNS, FEATURES, FeatureRecordError, FeatureRow
from agents.feature_store.pusher import (
    FeaturePusher,
    PushCounters,
    ValkeyUnavailableError,
)
from agents.feature_store.source import CONSUMER, FeatureSource, JournalFeatureSource
from agents.feature_store.store import (
    FEATURE_VIEW,
    PUSH_SOURCE,
    REPO_PATH,
    FeastMissingError,
    FeastRepo,
    FeastSettings,
    FeatureRepoError,
    load_store,
    require_feast,
)
from streams.backoff import Backoff

__all__ = [
    "COLUMNS",
    "CONSUMER",
    "FEATURES",
    "FEATURE_VIEW",
    "PUSH_SOURCE",
    "REPO_PATH",
    "Backoff",
    "FeastMissingError",
    "FeastRepo",
    "FeastSettings",
    "FeaturePusher",
    "FeatureRecordError",
    "FeatureRepoError",
    "FeatureRow",
    "FeatureSource",
    "JournalFeatureSource",
    "PushCounters",
    "ValkeyUnavailableError",
    "load_store",
    "require_feast",
]
