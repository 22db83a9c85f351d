"""Where QuestDB is: the client conf string, and the HTTP /exec endpoint derived from it.

The sink is configured by one QuestDB client conf string (``$TAPELINE_QUESTDB``, for
example ``http::addr=127.0.0.1:9000;``). ILP rows go through the ``questdb`` client with
that string; DDL and schema checks go to ``/exec`` on the same address, with the same
credentials, so one setting names one server.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas import TapelineError

ENV_VAR = "TAPELINE_QUESTDB"
EXEC_TIMEOUT_S = 30.0


class QuestDbConfError(TapelineError):
    """The conf string cannot be used (wrong protocol, no address)."""


class QuestDbUnavailable(TapelineError):
    """QuestDB did not answer (down, restarting, refusing connections): retry later."""


class QuestDbSqlError(TapelineError):
    """QuestDB answered an /exec request with an error (bad DDL, missing table)."""


def conf_from_env(environ: Mapping[str, str] = os.environ) -> str | None:
    """The conf string of ``$TAPELINE_QUESTDB``; None (sink off) when unset or empty."""
    value = environ.get(ENV_VAR, "").strip()
    return value or None


def parse_conf(conf: str) -> tuple[str, dict[str, str]]:
    """``proto::k=v;k=v;`` to (proto, {k: v}); ``;;`` is an escaped ``;`` in a value."""
    proto, sep, rest = conf.strip().partition("::")
    if not sep:
        raise QuestDbConfError(
            f"not a QuestDB conf string (want 'http::addr=HOST:PORT;'): {conf!r}"
        )
    params: dict[str, str] = {}
    for item in rest.replace(";;", "\0").split(";"):
        if not item.strip():
            continue
        key, eq, value = item.partition("=")
        if not eq:
            raise QuestDbConfError(f"conf item {item!r} is not key=value")
        params[key.strip()] = value.replace("\0", ";")
    return proto, params


def sender_conf(conf: str) -> str:
    """The conf the ILP sender uses: the user's, with the client's own retrying off.

    The sink retries with its own bounded backoff and never loses its place, so the
    client's internal retry loop (10 s by default) would only hide an outage. A
    ``retry_timeout`` given by the user is kept.
    """
    _, params = parse_conf(conf)
    text = conf.strip()
    if "retry_timeout" not in params:
        text = text if text.endswith(";") else text + ";"
        text += "retry_timeout=0;"
    return text


@dataclass(frozen=True)
class Endpoint:
    """The REST side of one QuestDB server: ``/exec`` for DDL and reads."""

    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    verify_tls: bool = True

    @classmethod
    def from_conf(cls, conf: str) -> Endpoint:
        proto, params = parse_conf(conf)
        if proto not in ("http", "https"):
            raise QuestDbConfError(
                f"the tick sink speaks ILP over HTTP; conf protocol {proto!r} is not http/https"
            )
        addr = params.get("addr")
        if not addr:
            raise QuestDbConfError(f"conf has no addr=HOST:PORT: {conf!r}")
        headers: dict[str, str] = {}
        if "token" in params:
            headers["Authorization"] = f"Bearer {params['token']}"
        elif "username" in params:
            pair = f"{params['username']}:{params.get('password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        verify = params.get("tls_verify", "on") != "unsafe_off"
        return cls(f"{proto}://{addr}", headers, verify)

    def exec(self, sql: str) -> dict[str, Any]:
        """Run one statement through ``/exec``; the decoded JSON answer."""
        url = f"{self.base_url}/exec?" + urllib.parse.urlencode({"query": sql})
        request = urllib.request.Request(url, headers=dict(self.headers))  # noqa: S310
        context = None if self.verify_tls else ssl._create_unverified_context()  # noqa: S323
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=EXEC_TIMEOUT_S, context=context
            ) as response:
                answer: dict[str, Any] = json.load(response)
                return answer
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            with contextlib.suppress(ValueError):
                detail = json.loads(detail).get("error", detail)
            raise QuestDbSqlError(f"QuestDB refused {sql.split()[0]}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise QuestDbUnavailable(
                f"QuestDB at {self.base_url} does not answer: {error}"
            ) from None

    def rows(self, sql: str) -> list[list[Any]]:
        return list(self.exec(sql).get("dataset", []))
