"""schemathesis against the gateway's own OpenAPI spec, over real HTTP: whatever it
generates from the spec, for every operation, the gateway never answers 5xx and every
answer conforms to the spec. (Driven through schemathesis' Python API: its pytest
plugin does not work with this pytest version.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.agents.gateway.server import Server, start

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start(tmp_path_factory.mktemp("schemathesis"))
    yield running
    running.stop()


@pytest.mark.parametrize("who", ["admin", "trader"])
def test_no_answer_is_a_server_error(gateway: Server, who: str) -> None:
    schema = schemathesis.openapi.from_url(f"{gateway.url}/openapi.json")
    auth = {"Authorization": f"Bearer {gateway.tokens[who]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, "the spec should list every endpoint"
    for operation in operations:

        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), **auth}
            case.validate_response(case.call(), checks=CHECKS)

        call()
