"""Kafka administration for the Kafka ``Log``: topics and consumer-group offsets.

Two things aiokafka's admin client does not do the way the log needs them:

* Describing a topic must never create it. aiokafka's ``describe_topics`` sends Metadata
  with auto-creation allowed, so a broker with ``auto.create.topics.enable=true`` would
  make the topic with its default partition count; here auto-creation is always off.
* A consumer checkpoint is a consumer-group offset committed *without joining the group*
  (generation -1, no member id): the log's ``commit`` saves a position for a named
  consumer, it does not consume. aiokafka only commits from a consumer that owns an
  assignment, so the OffsetCommit/OffsetFetch requests are sent here directly.

Retriable broker answers (a coordinator still loading, a leader being elected) are
retried for a bounded time; everything else becomes a ``LogError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # type: ignore[import-untyped]
from aiokafka.errors import KafkaError, for_code  # type: ignore[import-untyped]
from aiokafka.protocol.commit import (  # type: ignore[import-untyped]
    OffsetCommitRequest,
    OffsetFetchRequest,
)
from aiokafka.protocol.metadata import MetadataRequest  # type: ignore[import-untyped]

from streams.errors import LogError

T = TypeVar("T")

_UNKNOWN_TOPIC = 3
_TOPIC_EXISTS = 36
_COORDINATOR_ERRORS = frozenset({14, 15, 16})  # load in progress, not available, not coordinator


class _Retry(Exception):
    """A retriable answer: try again after a short pause."""


def _raise_for(code: int, what: str) -> None:
    if code == 0:
        return
    error = for_code(code)
    if getattr(error, "retriable", False) or code in _COORDINATOR_ERRORS:
        raise _Retry(f"{what}: {error.__name__}")
    raise LogError(f"{what}: {error.__name__} (Kafka error {code})")


class KafkaAdmin:
    """One admin connection per ``KafkaLog``; every name given here is the full topic name."""

    def __init__(
        self, bootstrap: str, *, client_id: str, request_timeout_ms: int, retry_for: float
    ) -> None:
        self.bootstrap = bootstrap
        self._retry_for = retry_for
        self._client = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            request_timeout_ms=request_timeout_ms,
        )
        self._coordinators: dict[str, int] = {}

    async def start(self) -> None:
        await self._client.start()

    async def close(self) -> None:
        await self._client.close()

    async def _retrying(self, what: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Run ``attempt`` until it stops raising ``_Retry``, for ``retry_for`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._retry_for
        pause = 0.05
        while True:
            try:
                return await attempt()
            except _Retry as exc:
                if loop.time() >= deadline:
                    raise LogError(f"{exc} (still failing after {self._retry_for:g}s)") from None
            except KafkaError as exc:
                if not getattr(exc, "retriable", False) or loop.time() >= deadline:
                    raise LogError(f"{what} on Kafka at {self.bootstrap}: {exc!r}") from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 1.0)

    # -- topics ---------------------------------------------------------------------

    async def _metadata(self, names: list[str] | None) -> dict[str, Any]:
        request = MetadataRequest(names, allow_auto_topic_creation=False)
        response = await self._client._send_request(request)
        result: dict[str, Any] = response.to_object()
        return result

    async def broker_count(self) -> int:
        async def attempt() -> int:
            return len((await self._metadata([]))["brokers"])

        return await self._retrying("reading the cluster metadata", attempt)

    async def partition_count(self, name: str) -> int | None:
        """How many partitions ``name`` has, or None when there is no such topic."""

        async def attempt() -> int | None:
            (topic,) = (await self._metadata([name]))["topics"]
            code = int(topic["error_code"])
            if code == _UNKNOWN_TOPIC:
                return None
            _raise_for(code, f"describing topic {name}")
            if not topic["partitions"]:
                raise _Retry(f"topic {name} has no partitions yet")
            return len(topic["partitions"])

        return await self._retrying(f"describing topic {name}", attempt)

    async def wait_for_topic(self, name: str) -> int:
        """The partition count of a topic just created, once the broker's metadata has it."""

        async def attempt() -> int:
            count = await self.partition_count(name)
            if count is None:
                raise _Retry(f"topic {name} is not in the broker's metadata yet")
            return count

        return await self._retrying(f"waiting for topic {name}", attempt)

    async def create_topic(
        self, name: str, partitions: int, replication: int, configs: dict[str, str]
    ) -> None:
        """Create ``name``; a topic that already exists (a racing creator) is not an error."""

        async def attempt() -> None:
            topic = NewTopic(name, partitions, replication, topic_configs=configs)
            response = await self._client.create_topics([topic])
            for entry in response.topic_errors:
                code = int(entry[1])
                if code != _TOPIC_EXISTS:
                    _raise_for(code, f"creating topic {name}")

        await self._retrying(f"creating topic {name}", attempt)

    async def topic_names(self) -> list[str]:
        return [str(topic["topic"]) for topic in (await self._metadata(None))["topics"]]

    async def delete_topics(self, names: list[str]) -> None:
        if names:
            await self._retrying("deleting topics", lambda: self._client.delete_topics(names))

    # -- consumer-group offsets -----------------------------------------------------

    async def _coordinator(self, group: str) -> int:
        node = self._coordinators.get(group)
        if node is None:
            node = self._coordinators[group] = int(await self._client.find_coordinator(group))
        return node

    async def commit_offset(self, group: str, name: str, partition: int, offset: int) -> None:
        what = f"committing offset {offset} of {name}[{partition}] for group {group}"

        async def attempt() -> None:
            node = await self._coordinator(group)
            request = OffsetCommitRequest(
                group,
                OffsetCommitRequest.DEFAULT_GENERATION_ID,
                "",
                OffsetCommitRequest.DEFAULT_RETENTION_TIME,
                [(name, [(partition, offset, "")])],
            )
            response = await self._client._send_request(request, node)
            for _topic, parts in response.topics:
                for _partition, code in parts:
                    if code in _COORDINATOR_ERRORS:
                        self._coordinators.pop(group, None)
                    _raise_for(int(code), what)

        await self._retrying(what, attempt)

    async def fetch_offset(self, group: str, name: str, partition: int) -> int | None:
        """The group's committed offset for one partition, or None when it has none."""
        what = f"reading the offset of {name}[{partition}] for group {group}"

        async def attempt() -> int | None:
            node = await self._coordinator(group)
            request = OffsetFetchRequest(group, [(name, [partition])])
            response = await self._client._send_request(request, node)
            top = int(getattr(response, "error_code", 0))
            if top in _COORDINATOR_ERRORS:
                self._coordinators.pop(group, None)
            _raise_for(top, what)
            for _topic, parts in response.topics:
                for part, offset, _meta, code in parts:
                    if code in _COORDINATOR_ERRORS:
                        self._coordinators.pop(group, None)
                    _raise_for(int(code), what)
                    if part == partition and offset >= 0:
                        return int(offset)
            return None

        return await self._retrying(what, attempt)
