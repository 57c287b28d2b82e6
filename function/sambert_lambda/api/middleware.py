"""Pure ASGI middleware: request guard (size, content type, UTF-8) and the last-resort error catcher.

Both answer with the error JSON themselves, before FastAPI parses anything.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sambert_lambda.observability import logger

DEFAULT_MAX_BODY = 256 * 1024


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class CatchAll:
    """Outermost: any exception that escaped the app becomes 500 ``internal_error`` (traceback logged only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:  # noqa: BLE001 - the last resort: never a stack trace to the caller
            logger.exception("unhandled error", extra={"path": scope.get("path")})
            if not started:
                await _send_error(send, 500, "internal_error", "internal error; it has been logged")


class RequestGuard:
    """For requests with a body: 413 over the size limit; on the JSON routes (``json_paths``) also 400 for a
    non-JSON content type or a non-UTF-8 body. The body (at most ``max_body`` bytes) is buffered, checked, then
    replayed to the app.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_body: Callable[[], int] | int = DEFAULT_MAX_BODY,
        json_paths: frozenset[str] = frozenset(),
        path_limits: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self._max_body = max_body
        self.json_paths = json_paths
        self.path_limits = path_limits or {}  # routes that take larger bodies (long-form jobs)

    def max_body(self) -> int:
        try:
            return int(self._max_body() if callable(self._max_body) else self._max_body)
        except Exception:  # noqa: BLE001 - invalid settings are reported by the routes, not here
            return DEFAULT_MAX_BODY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = max(self.max_body(), self.path_limits.get(scope["path"], 0))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        declared = headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            await _send_error(send, 413, "body_too_large", f"the request body is over {limit} bytes "
                              "(TTS_MAX_BODY_BYTES)")
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _send_error(send, 413, "body_too_large", f"the request body is over {limit} bytes "
                                  "(TTS_MAX_BODY_BYTES)")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        json_route = scope["method"] == "POST" and scope["path"] in self.json_paths  # other methods: the router's 405
        problem = _check_json_body(headers.get("content-type", ""), body, headers.get("content-encoding", "")) \
            if json_route else None
        if problem:
            await _send_error(send, 400, *problem)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _check_json_body(content_type: str, body: bytes, content_encoding: str = "") -> tuple[str, str] | None:
    coding = content_encoding.strip().lower()
    if coding and coding != "identity":  # a compressed body would be reported as "not UTF-8"
        return "invalid_encoding", f"the body must be sent uncompressed (Content-Encoding {coding} is not accepted)"
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        shown = media or "none"
        return "invalid_content_type", f"the body must be JSON with Content-Type: application/json (got {shown})"
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return "invalid_encoding", "the body must be UTF-8 (charset=utf-8)"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_encoding", "the body is not valid UTF-8"
    return None
