"""Response models of the HTTP API (for OpenAPI). Requests are :class:`sambert_lambda.request.TTSRequest`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ModelRef(BaseModel):
    id: str
    revision: str


class TTSResponse(BaseModel):
    url: str = Field(description="Presigned SigV4 GET URL of the audio.")
    expires_at: str = Field(description="When the URL expires (ISO 8601, UTC).")
    bucket: str
    key: str
    format: str
    sample_rate: int
    duration_seconds: float
    characters: int
    voice: str
    emotion: str
    model: ModelRef
    cached: bool
    test_voice: bool = Field(description="True when the loaded model is the random-weight test voice (not speech).")
    timings: dict[str, float]
    speech_marks_url: str | None = Field(None, description="Presigned URL of the speech marks (JSON Lines), "
                                         "when speech_marks was asked for.")
    captions_url: str | None = Field(None, description="Presigned URL of the captions, when captions was asked for.")


class VoiceOut(BaseModel):
    name: str
    emotions: list[str]
    speakers: list[str]
    sample_rate: int
    test_voice: bool
    default: bool


class VoicesResponse(BaseModel):
    voices: list[VoiceOut]
    default_voice: str
    model: ModelRef


class HealthResponse(BaseModel):
    status: Literal["ok"]
    model_loaded: bool
    model: ModelRef
    test_voice: bool
    cold_start: bool = Field(description="True on the first request this instance serves after init.")
    init_seconds: float
    version: str
    engine_version: str
    stats: dict[str, int]


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
