"""Error bodies: ``{"error": "...", "detail": [{"loc": ..., "msg": ...}]}``.

A validation error names the field and what is wrong with it, and never echoes the input
back (it may be huge, or hold a secret pasted into the wrong field). Anything unexpected
becomes a bare 500 without internals.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException

log = logging.getLogger("tapeline.gateway")


def _loc(parts: Sequence[Any]) -> str:
    return ".".join(str(part) for part in parts) or "body"


def _message(error: Any) -> str:
    kind = error.get("type", "")
    loc = error.get("loc", ())
    if kind == "extra_forbidden":
        return f"unknown field {str(loc[-1])!r}" if loc else "unknown field"
    if kind == "missing":
        return "field required"
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        return f"malformed JSON: {reason}" if reason else "malformed JSON"
    if kind == "model_attributes_type" or kind == "dict_type":
        return "the body must be a JSON object"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def details(errors: Sequence[Any]) -> list[dict[str, str]]:
    return [{"loc": _loc(error.get("loc", ())), "msg": _message(error)} for error in errors]


def invalid(errors: Sequence[Any], prefix: Sequence[str] = ("body",)) -> JSONResponse:
    shown = [
        {**error, "loc": (*prefix, *error.get("loc", ()))} if prefix else error for error in errors
    ]
    items = details(shown)
    summary = "; ".join(f"{item['loc']}: {item['msg']}" for item in items[:5])
    return JSONResponse(status_code=422, content={"error": summary, "detail": items})


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def on_request_validation(
        request: Request, error: RequestValidationError
    ) -> JSONResponse:
        return invalid(error.errors(), prefix=())

    @app.exception_handler(ValidationError)
    async def on_model_validation(request: Request, error: ValidationError) -> JSONResponse:
        return invalid(error.errors())

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=error.status_code,
            content={"error": str(error.detail)},
            headers=error.headers,
        )

    @app.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception) -> JSONResponse:
        log.error(
            "internal error on %s %s: %s", request.method, request.url.path, type(error).__name__
        )
        return JSONResponse(status_code=500, content={"error": "internal error"})
