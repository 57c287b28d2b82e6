"""Every setting in one place, read from the environment and validated once (pydantic-settings).

Names follow the README: ``TTS_*`` plus ``API_KEY`` and ``MODELSCOPE_CACHE``. A missing or invalid setting is
reported by name through :func:`load_settings`; interfaces then answer 503 ``config_invalid`` naming it.
"""

from __future__ import annotations

import functools
import json
import os
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sambert_lambda.errors import ConfigInvalid

DEFAULT_MODEL_ID = "iic/speech_sambert-hifigan_tts_zh-cn_16k"
LEGACY_MODEL_IDS = ("damo/speech_sambert-hifigan_tts_zh-cn_16k",)
URL_EXPIRES_CAP = 12 * 3600

# Public facts from the model cards: all four voices use speaker F7; zhiyan_emo adds "arousal".
BASE_EMOTIONS = ("neutral", "happy", "angry", "sad", "fear", "hate", "surprise")
DEFAULT_VOICE_EMOTIONS: dict[str, list[str]] = {
    "zhitian_emo": list(BASE_EMOTIONS),
    "zhiyan_emo": [*BASE_EMOTIONS, "arousal"],
    "zhizhe_emo": list(BASE_EMOTIONS),
    "zhibei_emo": list(BASE_EMOTIONS),
}
DEFAULT_VOICE_SPEAKERS: dict[str, list[str]] = {v: ["F7"] for v in DEFAULT_VOICE_EMOTIONS}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TTS_", extra="ignore", populate_by_name=True)

    # storage
    bucket: str | None = None
    output_prefix: str = "output/"
    input_prefix: str = "input/"
    url_expires: int = Field(3600, ge=1, le=URL_EXPIRES_CAP)
    lifecycle_days: int = Field(1, ge=1, description="must match the bucket's lifecycle expiry of the output prefix")
    storage_timeout: float = Field(5.0, gt=0, le=60)
    storage_retries: int = Field(4, ge=0, le=10)
    queue_url: str | None = None

    # batch (S3 uploads -> audio + manifest; see sambert_lambda.batch)
    dlq_url: str | None = Field(None, description="dead-letter queue for fan-out messages that exhaust their retries")
    jobs_topic_arn: str | None = Field(None, description="SNS topic told when a /v1/jobs job completes or fails")
    batch_time_margin_ms: int = Field(20_000, ge=0, description="stop starting new items this close to the timeout")
    batch_chunk_chars: int = Field(300, ge=20, le=100_000, description=".txt is synthesized in chunks of this size")
    batch_max_txt_chars: int = Field(50_000, ge=1, description="a .txt becomes one audio file held in memory")
    batch_units_per_message: int = Field(1, ge=1, le=100, description="fan-out items per SQS message")
    batch_max_receive: int = Field(5, ge=1, le=1000, description="= the fan-out queue's maxReceiveCount")
    batch_default_format: str = "mp3"

    # limits and access
    max_chars: int = Field(5000, ge=1, le=1_000_000)
    max_input_bytes: int = Field(5 * 1024 * 1024, ge=1)
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    api_key: str | None = Field(None, validation_alias=AliasChoices("API_KEY", "TTS_API_KEY"))

    # engine
    backend: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx (ONNX Runtime + numpy, no torch; the exported voices) or torch (reads the checkpoints;"
        " the reference, and bf16); native = torch"
    )
    onnx_dir: str | None = Field(
        None, description="exported ONNX voices (sambert-lambda export-onnx); default: the model directory's onnx/"
    )
    vocoder_precision: Literal["fp32", "bf16"] = Field(
        "fp32", description="bf16 is lossy (measured ~40 dB waveform SNR) and pays off only on CPUs with bf16 units"
    )
    lexicon_file: str | None = Field(None, description="custom pronunciations baked into the image (docs/http-api.md)")
    frontend_cache: str | None = Field(
        None, description="the baked frontend dictionary cache (sambert-lambda frontend-cache); off = none. The frontend"
        " gets it from the synthesizer and the frontend CLIs (frontend.pipeline.get_frontend)"
    )
    threads: int = Field(0, ge=0, le=64, description="0 = one per vCPU")

    # model
    model_dir: str | None = None
    modelscope_cache: str | None = Field(None, validation_alias=AliasChoices("MODELSCOPE_CACHE", "TTS_MODELSCOPE_CACHE"))
    model_id: str = DEFAULT_MODEL_ID
    model_revision: str = "master"
    voices: list[str] | None = None
    default_voice: str | None = None
    voice_emotions: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_VOICE_EMOTIONS))

    # process
    warmup: bool = Field(True, description="one short synthesis at init (TTS_WARMUP=0 turns it off)")
    eager_init: bool = Field(True, description="load the model at import, in Lambda's init phase")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = Field(
        None, description="the function's log level; default Powertools' own (POWERTOOLS_LOG_LEVEL, else INFO)"
    )

    @field_validator("backend", mode="before")
    @classmethod
    def _backend_alias(cls, v):
        return "torch" if isinstance(v, str) and v.strip().lower() == "native" else v

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, v):
        return v.strip().upper() if isinstance(v, str) and v.strip() else None

    @field_validator("voices", mode="before")
    @classmethod
    def _split_voices(cls, v):
        if isinstance(v, str):
            v = v.strip()
            if not v or v.lower() == "all":
                return None
            if v.startswith("["):
                return json.loads(v)
            return [p.strip() for p in v.split(",") if p.strip()]
        return v

    @field_validator("voice_emotions", mode="before")
    @classmethod
    def _merge_emotions(cls, v):
        if isinstance(v, str):
            v = json.loads(v)
        merged = dict(DEFAULT_VOICE_EMOTIONS)
        merged.update(v or {})
        return merged

    @field_validator("output_prefix", "input_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        v = v.lstrip("/")
        if v and not v.endswith("/"):
            v += "/"
        return v

    @field_validator("model_id")
    @classmethod
    def _model_id(cls, v: str) -> str:
        v = v.strip()
        if v in LEGACY_MODEL_IDS:
            return DEFAULT_MODEL_ID  # damo/ is the older id of the same model
        return v

    @model_validator(mode="after")
    def _prefixes_disjoint(self):
        a, b = self.input_prefix, self.output_prefix
        if a == b or a.startswith(b) or b.startswith(a):
            raise ValueError(
                f"TTS_INPUT_PREFIX ({a!r}) and TTS_OUTPUT_PREFIX ({b!r}) overlap: the function would trigger itself"
            )
        return self

    def require_bucket(self) -> str:
        if not self.bucket:
            raise ConfigInvalid("TTS_BUCKET is not set")
        return self.bucket


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x != "__root__")
        name = ("TTS_" + loc.upper()) if loc and loc not in ("api_key", "modelscope_cache") else loc.upper()
        parts.append(f"{name}: {e.get('msg')}" if loc else str(e.get("msg")))
    return "; ".join(parts)


def aws_region() -> str:
    """The AWS region, as boto3 reads it (``AWS_REGION``, else ``AWS_DEFAULT_REGION``), default us-east-1."""
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def aws_endpoint(service: str) -> str | None:
    """A custom endpoint for ``service`` (s3, sqs), as boto3 reads it: ``AWS_ENDPOINT_URL_<SERVICE>``, else
    ``AWS_ENDPOINT_URL`` (LocalStack, moto), else None for AWS itself."""
    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL") or None


def powertools_names() -> tuple[str, str]:
    """Powertools' service name and metrics namespace, as Powertools reads them (``POWERTOOLS_SERVICE_NAME``,
    ``POWERTOOLS_METRICS_NAMESPACE``), with the function's defaults ``sambert-lambda`` and ``SambertLambda``."""
    service = os.environ.get("POWERTOOLS_SERVICE_NAME") or "sambert-lambda"
    return service, os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "SambertLambda"


def load_settings(**overrides) -> Settings:
    """Read and validate the environment. Raises ConfigInvalid naming the bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as e:
        raise ConfigInvalid("invalid setting: " + _describe(e)) from None
    except (ValueError, json.JSONDecodeError) as e:
        raise ConfigInvalid(f"invalid setting: {e}") from None


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated once."""
    return load_settings()
