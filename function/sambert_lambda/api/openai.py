"""``POST /v1/audio/speech`` the way the OpenAI SDK sends it, mapped onto the core request.

OpenAI fields: ``model`` (any string, ignored), ``input``, ``voice`` (OpenAI names, any case, mean the default
voice; the SDK's ``{"id": ...}`` form names a voice), ``instructions`` (accepted, not applied), ``response_format`` (default mp3), ``speed`` (0.25-4.0: values
outside the engine's 0.5-2.0 are clamped and the response says so in ``X-Speed-Clamped``), ``stream_format``
(``audio`` or ``sse``). Documented extensions, the same controls as ``/v1/tts``: ``emotion``, ``pitch``, ``volume``,
``sample_rate``, ``ssml``, ``lexicon``; and ``stream`` (default true). Raw ``pcm`` defaults to 24 kHz here, as OpenAI
sends it. Any other field is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sambert_lambda.errors import TTSError
from sambert_lambda.request import (
    FIELDS,
    SPEED_RANGE,
    InvalidField,
    Spec,
    TTSRequest,
    check_body,
    check_field,
    schema_properties,
)

OPENAI_SPEED_RANGE = (0.25, 4.0)
OPENAI_PCM_RATE = 24000
MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "sambert-hifigan")
EXTENSIONS = ("emotion", "pitch", "volume", "sample_rate", "ssml", "lexicon")
_SPECS: dict[str, Spec] = {
    "model": Spec("str", max_length=128, description="Accepted and ignored (e.g. tts-1)."),
    "input": Spec("str", nullable=False, description=FIELDS["text"].description),
    "voice": FIELDS["voice"],
    "instructions": Spec("str", max_length=4096, description="Accepted; not applied (use emotion, speed, pitch)."),
    "response_format": Spec("str", "mp3", choices=FIELDS["format"].choices, nullable=False,
                            description="Audio format (default mp3); pcm is 24 kHz unless sample_rate says else."),
    "speed": Spec("number", 1.0, *OPENAI_SPEED_RANGE, nullable=False,
                  description="0.25-4.0; clamped to 0.5-2.0 (header X-Speed-Clamped)."),
    "stream_format": Spec("str", "audio", choices=("audio", "sse"), description="audio: the encoded audio, streamed "
                          "in pieces as the engine computes them (chunked transfer; buffered behind Mangum). sse: "
                          "Server-Sent Events speech.audio.delta (base64) then speech.audio.done."),
    "stream": Spec("bool", True, description="Extension: false answers the same bytes at once (Content-Length)."),
    **{name: FIELDS[name] for name in EXTENSIONS},
}


@dataclass(frozen=True)
class SpeechOptions:
    """How to answer: response headers, Server-Sent Events, streamed or whole."""

    headers: dict[str, str]
    sse: bool = False
    stream: bool = True


def speech_request(data: Any) -> tuple[TTSRequest, SpeechOptions]:
    """The core request and the way to answer an OpenAI speech body."""
    check_body(data, _SPECS)
    if "input" not in data:
        raise InvalidField("'input' is required", code="missing_input")
    voice = data.get("voice")
    if isinstance(voice, Mapping):  # the SDK's custom-voice form, {"id": "..."}: the id names a voice
        if set(voice) != {"id"} or not isinstance(voice["id"], str):
            raise InvalidField("'voice': a voice name, or an object {\"id\": <voice name>}", code="invalid_voice")
        data = {**data, "voice": voice["id"]}
    values = {name: check_field(name, data[name], spec) for name, spec in _SPECS.items() if name in data}
    if values.get("stream") is False and values.get("stream_format") == "sse":
        raise InvalidField("'stream': false cannot go with stream_format sse, whose events are always streamed; "
                           "use stream_format audio for the whole file at once", code="invalid_stream")
    headers: dict[str, str] = {}
    speed = values.get("speed", 1.0)
    clamped = min(max(speed, SPEED_RANGE[0]), SPEED_RANGE[1])
    if clamped != speed:
        headers["X-Speed-Clamped"] = f"{speed:g}->{clamped:g}"
    fmt = values.get("response_format", "mp3")
    core = {"text": values["input"], "format": fmt, "speed": clamped,
            **{k: values[k] for k in ("voice", *EXTENSIONS) if k in values}}
    if fmt == "pcm" and core.get("sample_rate") is None:
        core["sample_rate"] = OPENAI_PCM_RATE
    options = SpeechOptions(headers, sse=values.get("stream_format") == "sse", stream=values.get("stream") is not False)
    return TTSRequest.from_dict(core), options



def json_schema() -> dict[str, Any]:
    props = schema_properties(_SPECS)
    voice = props["voice"]
    voice["anyOf"].insert(1, {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"],
                              "additionalProperties": False, "description": "The SDK's custom-voice form."})
    return {"title": "SpeechRequest", "type": "object", "properties": props,
            "required": ["input"], "additionalProperties": False,
            "examples": [{"model": "tts-1", "input": "你好，世界。", "voice": "alloy"}]}


def models() -> dict[str, Any]:
    """``GET /v1/models``: the model names the SDK may send (all served by the same voices)."""
    return {"object": "list", "data": [model(m) for m in MODELS]}


def model(name: str) -> dict[str, Any]:
    """``GET /v1/models/{model}`` (the SDK's ``models.retrieve``); 404 ``model_not_found`` for a name not listed."""
    if name not in MODELS:
        raise TTSError(f"no model {name!r}; models: {', '.join(MODELS)}", code="model_not_found", status=404)
    return {"id": name, "object": "model", "created": 0, "owned_by": "sambert-lambda"}
