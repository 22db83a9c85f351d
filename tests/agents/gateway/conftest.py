from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agents.gateway.server import Server, start


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start(tmp_path_factory.mktemp("gateway"))
    yield running
    running.stop()
