"""Every failure as ``{"error": {"code", "message"}}``: exception handlers and the OpenAPI declarations.

Messages never echo the request body (it may hold user text) and never carry a traceback.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sambert_lambda.api.schemas import ErrorResponse
from sambert_lambda.errors import TTSError, encodable
from sambert_lambda.observability import logger

_DESCRIPTIONS = {
    400: "Bad input: empty text, unknown voice or emotion, bad SSML, malformed JSON, non-UTF-8 body, wrong "
    "content type.",
    401: "Missing or wrong API key (only when API_KEY is set).",
    404: "No such route, model or job.",
    405: "Method not allowed on this route.",
    413: "Text longer than TTS_MAX_CHARS, body larger than TTS_MAX_BODY_BYTES, or a response over 6 MB.",
    422: "The JSON body does not match the schema (missing field, wrong type, value out of range).",
    500: "Internal error (a bug): the details are in the logs, never in the response.",
    503: "Model, storage or configuration unavailable (model_unavailable, storage_unavailable, config_invalid).",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the given error statuses, all with the error schema."""
    return {s: {"model": ErrorResponse, "description": _DESCRIPTIONS[s]} for s in statuses}


def error_json(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"code": code, "message": encodable(message)}}
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 415: "invalid_content_type"}


# FastAPI's answer when the JSON parser fails with something other than a syntax error (RecursionError on deep
# nesting, ValueError on an integer over Python's 4300-digit limit).
_BODY_PARSE_FAILED = "There was an error parsing the body"


def validation_error(errors: list[dict[str, Any]]) -> tuple[int, str, str]:
    """Map pydantic's first error to (status, code, message), without echoing the input."""
    if not errors:
        return 422, "validation_error", "the request does not match the schema"
    e = errors[0]
    kind = str(e.get("type", ""))
    loc = [str(x) for x in e.get("loc", ()) if x != "body"]
    field = loc[0] if loc else ""
    if kind == "json_invalid":
        return 400, "malformed_json", "the body is not valid JSON"
    if kind == "missing" and not field:
        return 400, "missing_body", "a JSON object body is required"
    if not field:
        return 422, "invalid_body", "the body must be a JSON object"
    if kind == "missing":
        return 422, f"missing_{field}", f"'{field}' is required"
    if kind == "extra_forbidden":
        return 422, "unknown_field", f"unknown field '{field}'"
    msg = str(e.get("msg", "invalid value"))
    return 422, f"invalid_{field}", f"'{field}': {msg}"


def install(app: FastAPI) -> None:
    @app.exception_handler(TTSError)
    async def _tts_error(request: Request, exc: TTSError) -> JSONResponse:
        if exc.status >= 500:
            logger.warning("request failed", extra={"code": exc.code, "reason": exc.message})
        return error_json(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, code, message = validation_error(list(exc.errors()))
        return error_json(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, str) else code
        if exc.status_code == 400 and detail == _BODY_PARSE_FAILED:  # json.loads raised past JSONDecodeError
            code, detail = "malformed_json", ("the body cannot be read as JSON (nested too deeply, or an integer "
                                              "of more than 4300 digits)")
        return error_json(exc.status_code, code, detail, headers=getattr(exc, "headers", None))
