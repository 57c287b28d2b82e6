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


class JobCreated(BaseModel):
    id: str = Field(description="128 random bits, hex: the only handle on the job.")
    status: Literal["queued"]


class JobPart(BaseModel):
    url: str
    duration: float | None
    speech_marks_url: str | None = Field(None, description="The part's speech marks: times from the start of the "
                                         "part's audio, byte offsets into the part's text.")
    text_offset: int | None = Field(None, description="Where the part's text starts in the job's text (UTF-8 "
                                    "bytes): add it to the part's mark offsets.")


class JobStatus(BaseModel):
    id: str
    status: Literal["queued", "running", "complete", "failed"]
    progress: float = Field(description="Finished units / units, 0..1 (0 while queued; 1 when complete or failed).")
    format: str
    created: int = Field(description="Unix time the job was accepted.")
    items: dict[str, int] | None = Field(None, description="Manifest summary: total, done, failed, pending.")
    audio_url: str | None = Field(None, description="Presigned URL of the audio (jobs up to "
                                  "TTS_BATCH_MAX_TXT_CHARS characters, and SSML).")
    parts: list[JobPart] | None = Field(None, description="Longer jobs: presigned URLs of the audio parts, in order.")
    duration_seconds: float | None = None
    speech_marks_url: str | None = Field(None, description="Presigned URL of the speech marks (one-file jobs with "
                                         "speech_marks).")
    manifest_url: str | None = Field(None, description="Presigned URL of the batch manifest.")
    expires_at: str | None = Field(None, description="When the presigned URLs expire (ISO 8601, UTC).")
    error: dict[str, str] | None = None
