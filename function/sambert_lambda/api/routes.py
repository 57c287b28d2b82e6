"""The HTTP routes. Sync handlers (FastAPI runs them in a worker thread): synthesis is CPU work."""

from __future__ import annotations

from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from sambert_lambda import ENGINE_VERSION, __version__
from sambert_lambda.api.auth import require_api_key
from sambert_lambda.api.errors import error_responses
from sambert_lambda.api.schemas import (
    HealthResponse,
    SpeechRequest,
    TTSRequest,
    TTSResponse,
    VoicesResponse,
)
from sambert_lambda.audio import content_type
from sambert_lambda.service import TTSService

router = APIRouter()
SPEECH_TYPES = {f: {} for f in ("audio/wav", "audio/mpeg", "audio/ogg", "audio/flac", "audio/L16", "text/event-stream")}


def get_service(request: Request) -> TTSService:
    """The loaded service; a failed cold start raises its 503 (model_unavailable / config_invalid)."""
    return request.app.state.service_factory()


Service = Annotated[TTSService, Depends(get_service)]


@router.post(
    "/v1/tts",
    response_model=TTSResponse,
    summary="Synthesize text to an audio file in S3 and return a presigned URL",
    responses=error_responses(400, 401, 413, 422, 500, 503),
    dependencies=[Depends(require_api_key)],
)
def tts(body: TTSRequest, service: Service) -> dict:
    return service.tts(body)


@router.post(
    "/v1/audio/speech",
    summary="OpenAI-compatible speech endpoint: streams the audio as sentences finish (or SSE events)",
    response_class=Response,
    responses={200: {"content": SPEECH_TYPES, "description": "The audio."},
               **error_responses(400, 401, 413, 422, 500, 503)},
    dependencies=[Depends(require_api_key)],
)
def speech(body: SpeechRequest, service: Service, request: Request) -> Response:
    buffered = "aws.event" in request.scope  # behind Mangum the whole body is sent at once anyway
    fmt = body.response_format
    sse = body.stream_format == "sse"
    if sse or (body.stream and not buffered and fmt != "flac"):
        ctype, chunks = service.speech_stream(body.input, voice=body.voice, fmt=fmt, speed=body.speed,
                                              emotion=body.emotion, sse=sse)  # fmt: skip
        return StreamingResponse(chunks, media_type=ctype, headers={"Cache-Control": "no-store"})
    if fmt == "opus":
        ctype, chunks = service.speech_stream(body.input, voice=body.voice, fmt=fmt, speed=body.speed,
                                              emotion=body.emotion)  # fmt: skip
        return Response(content=b"".join(chunks), media_type=ctype)
    audio = service.speech(body.input, voice=body.voice, fmt=fmt, speed=body.speed, emotion=body.emotion)
    return Response(content=audio, media_type=content_type(fmt))


@router.get(
    "/v1/voices",
    response_model=VoicesResponse,
    summary="Voices with their emotions, speakers and sample rate",
    responses=error_responses(401, 500, 503),
    dependencies=[Depends(require_api_key)],
)
def voices(service: Service) -> dict:
    return service.voices()


@router.get(
    "/healthz",
    response_model=HealthResponse,
    summary="Model loaded, model id and revision, cold start, version",
    responses=error_responses(500, 503),
)
def healthz(request: Request) -> dict:
    service = get_service(request)  # raises the 503 of a failed cold start
    return {
        "status": "ok",
        "model_loaded": True,
        "model": service.model,
        "test_voice": service.test_voice,
        "cold_start": request.scope.get("sambert.request_number", 0) == 1,
        "init_seconds": round(service.init_seconds, 3),
        "version": __version__,
        "engine_version": ENGINE_VERSION,
        "stats": service.stats.as_dict(),
    }


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def index() -> HTMLResponse:
    page = resources.files("sambert_lambda.api").joinpath("static/index.html").read_text(encoding="utf-8")
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

