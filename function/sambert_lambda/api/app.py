"""The FastAPI application: ``create_app(service_factory)``; wrapped by Mangum in the Lambda handler.

No torch is imported here: the engine loads inside the service factory (the cold start), not at import.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from importlib import resources

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from sambert_lambda import __version__
from sambert_lambda.api import docs, errors
from sambert_lambda.api.jobs import JOB_MAX_BODY_BYTES
from sambert_lambda.api.jobs import router as jobs_router
from sambert_lambda.api.middleware import CatchAll, RequestGuard
from sambert_lambda.api.routes import router
from sambert_lambda.service import TTSService
from sambert_lambda.settings import Settings, get_settings

DESCRIPTION = """Chinese multi-emotion text-to-speech (ModelScope Sambert-HifiGAN voices).

`POST /v1/tts` stores the audio in S3 and returns a presigned URL (content-addressed cache: an identical request
returns a fresh URL without synthesizing). `POST /v1/audio/speech` is OpenAI-compatible and returns the bytes.
Every error is `{"error": {"code", "message"}}`.
"""


class _Counter:
    """Numbers each request (``scope['sambert.request_number']``): request 1 is this instance's cold start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._n = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["sambert.request_number"] = next(self._n)
        await self.app(scope, receive, send)


def add_head_routes(api: APIRouter) -> None:
    """HEAD on every GET route (HEAD-based health and link checks): the GET's answer without a body, as an
    operation of its own (OpenAPI wants one id per operation: ``<get id>_head``)."""
    has_head = {r.path for r in api.routes if "HEAD" in getattr(r, "methods", ())}
    for r in list(api.routes):
        if isinstance(r, APIRoute) and "GET" in r.methods and r.path not in has_head:
            api.add_api_route(r.path, r.endpoint, methods=["HEAD"], operation_id=f"{r.operation_id or r.name}_head",
                              response_model=r.response_model, summary=r.summary, responses=r.responses,
                              dependencies=r.dependencies, include_in_schema=r.include_in_schema,
                              response_class=r.response_class)


def create_app(
    service_factory: Callable[[], TTSService],
    settings_factory: Callable[[], Settings] = get_settings,
) -> FastAPI:
    """The app. ``service_factory`` returns the loaded service or raises its TTSError (503) on every call."""
    app = FastAPI(title="sambert-lambda", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None)
    app.state.service_factory = service_factory
    app.state.api_key = lambda: settings_factory().api_key
    errors.install(app)
    docs.install(app)
    for r in (router, jobs_router):
        add_head_routes(r)  # once per router: a route that has HEAD already is skipped
        app.include_router(r)
    static = resources.files("sambert_lambda.api").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    json_paths = frozenset(r.path for r in [*router.routes, *jobs_router.routes] if "POST" in getattr(r, "methods", ()))
    app.add_middleware(RequestGuard, max_body=lambda: settings_factory().max_body_bytes, json_paths=json_paths,
                       path_limits={"/v1/jobs": JOB_MAX_BODY_BYTES})
    app.add_middleware(_Counter)
    app.add_middleware(CatchAll)
    return app
