"""The HTTP routes. Sync handlers (FastAPI runs them in a worker thread): synthesis is CPU work."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from sambert_lambda import ENGINE_VERSION, __version__
from sambert_lambda.api import openai
from sambert_lambda.api.auth import require_api_key
from sambert_lambda.api.errors import error_responses
from sambert_lambda.api.schemas import HealthResponse, TTSResponse, VoicesResponse
from sambert_lambda.audio import CONTENT_TYPES, content_type
from sambert_lambda.request import TTSRequest, json_schema
from sambert_lambda.service import StreamAborted, TTSService, check_response_size

router = APIRouter()
SPEECH_TYPES = {t: {} for t in (*CONTENT_TYPES.values(), "text/event-stream")}
JsonBody = Annotated[Any, Body()]


def _body_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


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
    openapi_extra=_body_schema(json_schema()),
)
def tts(body: JsonBody, service: Service) -> dict:
    return service.tts(TTSRequest.from_dict(body))


@router.post(
    "/v1/audio/speech",
    summary="OpenAI-compatible speech endpoint: streams the audio as it is computed (or SSE events)",
    response_class=Response,
    responses={200: {"content": SPEECH_TYPES, "description": "The audio."},
               **error_responses(400, 401, 413, 422, 500, 503)},
    dependencies=[Depends(require_api_key)],
    openapi_extra=_body_schema(openai.json_schema()),
)
def speech(body: JsonBody, service: Service, request: Request) -> Response:
    req, opt = openai.speech_request(body)
    if service.test_voice:  # the bytes alone cannot say it: random weights, not speech
        opt = replace(opt, headers={**opt.headers, "X-Test-Voice": "true"})
    buffered = "aws.event" in request.scope  # behind Mangum the whole body is sent at once anyway
    if opt.sse or (not buffered and req.format != "flac"):
        ctype, chunks = service.speech_stream(req, sse=opt.sse)
        if opt.stream or opt.sse:
            return StreamingResponse(chunks, media_type=ctype, headers={"Cache-Control": "no-store", **opt.headers})
        try:  # stream=false: the same bytes as the stream, at once
            whole = check_response_size(b"".join(chunks))
        except StreamAborted as e:  # nothing was sent yet: the cause is a plain error answer
            raise e.error from None
        return Response(content=_sized_wav(whole) if req.format == "wav" else whole, media_type=ctype,
                        headers=opt.headers)
    audio = service.speech(req)
    return Response(content=audio, media_type=content_type(req.format, req.sample_rate), headers=opt.headers)


def _sized_wav(data: bytes) -> bytes:
    """A streamed WAV (unknown-length header) with its RIFF and data sizes filled in."""
    import struct

    return data[:4] + struct.pack("<I", len(data) - 8) + data[8:40] + struct.pack("<I", len(data) - 44) + data[44:]


@router.get(
    "/v1/models",
    summary="OpenAI-compatible model list (every name is served by the same voices)",
    responses=error_responses(401),
    dependencies=[Depends(require_api_key)],
)
def models() -> dict:
    return openai.models()


@router.get(
    "/v1/models/{model}",
    summary="One model of the list (OpenAI's models.retrieve)",
    responses=error_responses(401, 404),
    dependencies=[Depends(require_api_key)],
)
def model(model: str) -> dict:
    return openai.model(model)


@router.get(
    "/v1/voices",
    response_model=VoicesResponse,
    summary="Voices with their emotions, speakers and sample rate",
    responses=error_responses(401, 500, 503),
    dependencies=[Depends(require_api_key)],
)
def voices(service: Service) -> dict:
    return service.voices()


@router.get("/healthz", response_model=HealthResponse, responses=error_responses(500, 503),
            summary="Model loaded, model id and revision, cold start, version")
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




@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False, response_class=HTMLResponse)
def index() -> HTMLResponse:
    page = resources.files("sambert_lambda.api").joinpath("static/index.html").read_text(encoding="utf-8")
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

