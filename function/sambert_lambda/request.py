"""The one core request: what to say and how, validated once with one set of error codes and messages.

Every interface maps onto :class:`TTSRequest`: ``POST /v1/tts`` and direct invokes (:meth:`TTSRequest.from_dict`),
the OpenAI-compatible ``POST /v1/audio/speech`` (the api layer renames its fields, then calls ``from_dict``), the
batch path and the CLI (``sambert-lambda synth``). No HTTP and no boto3 here.

Two steps:

1. :meth:`TTSRequest.from_dict` checks shape, types and ranges without the model: strict JSON types (``true`` is
   not a number, ``"16000"`` is not a sample rate, ``"yes"`` is not a boolean), known fields only.
   Errors: 422 ``invalid_<field>``, ``missing_<field>``, ``unknown_field``, ``invalid_body``.
2. :meth:`TTSRequest.resolve` checks it against the loaded voices and limits: text normalized (NFC, stripped),
   voice resolved (case-insensitive; OpenAI voice names mean the default voice), emotion, length, SSML decided.
   Errors: 400 ``empty_text``, ``invalid_text``, ``unknown_voice``, ``unknown_emotion``, ``ssml_without_speak``,
   ``ssml_conflict``; 413 ``text_too_long``.

SSML: ``ssml`` absent (None) means "detect": text whose first non-space characters are ``<speak`` is SSML.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol

from sambert_lambda.audio import AAC_UNAVAILABLE, FORMATS, OPUS_RATES, SAMPLE_RATES
from sambert_lambda.errors import InvalidInput, TooLarge, UnknownEmotion, UnknownVoice
from sambert_lambda.marks import CAPTION_FORMATS, MARK_TYPES

SPEED_RANGE = (0.5, 2.0)
PITCH_RANGE = (-4.0, 4.0)
VOLUME_DB_RANGE = (-30.0, 12.0)
VOICE_MAX_LENGTH = 64
LEXICON_MAX_CHARS = 16 * 1024
EMOTION_MAX_LENGTH = 32
# The OpenAI SDK's voice names: accepted (any case) and spoken by the default voice.
OPENAI_VOICES = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar"}
)
_SSML_TAG = re.compile(
    r"<\s*/?\s*(?:speak|break|prosody|emphasis|say-as|sub|voice|mark|audio|phoneme|emotion|p|s)\b[^>]*>", re.I
)


class InvalidField(InvalidInput, status=422):
    """A field of the wrong type, out of range, missing or unknown (HTTP 422)."""


class VoiceLike(Protocol):
    name: str
    emotions: list[str]
    sample_rate: int


@dataclass(frozen=True)
class Spec:
    """How one field is read from JSON-like input. ``kind``: str | number | bool | int | list (of str choices)."""

    kind: str
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    choices: tuple[Any, ...] | None = None
    max_length: int | None = None
    nullable: bool = True
    description: str = ""
    max_bytes: int | None = None  # UTF-8 size limit, checked before max_length: 413 ``<name>_too_large``


FIELDS: dict[str, Spec] = {
    "text": Spec("str", nullable=False, description="Text, or SSML (detected when it starts with <speak). At most "
                 "TTS_MAX_CHARS characters (default 5000)."),
    "voice": Spec("str", max_length=VOICE_MAX_LENGTH, description="Voice name (GET /v1/voices), any case; default "
                  "TTS_DEFAULT_VOICE. OpenAI voice names (alloy, ..., marin, cedar) mean the default voice."),
    "emotion": Spec("str", "neutral", max_length=EMOTION_MAX_LENGTH, nullable=False,
                    description="One of the voice's emotions (GET /v1/voices)."),
    "speed": Spec("number", 1.0, *SPEED_RANGE, nullable=False, description=">1 speaks faster."),
    "pitch": Spec("number", 0.0, *PITCH_RANGE, nullable=False, description="Pitch shift in predictor units."),
    "volume": Spec("number", 0.0, *VOLUME_DB_RANGE, nullable=False, description="Gain in dB."),
    "format": Spec("str", "wav", choices=FORMATS, nullable=False, description="Audio format."),
    "sample_rate": Spec("int", None, choices=SAMPLE_RATES, description="Output rate; default the voice's own rate."),
    "ssml": Spec("bool", None, description="true: the text is SSML; false: plain text; absent: detected "
                 "(text starting with <speak is SSML)."),
    "speech_marks": Spec("list", None, choices=MARK_TYPES, max_length=len(MARK_TYPES),
                         description="Speech mark types to return as JSON Lines (speech_marks_url): sentence, word, "
                         "phoneme, ssml. Times in ms from the frame durations; start/end are UTF-8 byte offsets "
                         "into text."),
    "captions": Spec("str", None, choices=CAPTION_FORMATS,
                     description="Also write WebVTT or SRT captions (captions_url), one cue per sentence."),
    "lexicon": Spec("str", None, max_length=LEXICON_MAX_CHARS, max_bytes=LEXICON_MAX_CHARS,
                    description="Custom pronunciations, one 'word pronunciation' per line (pinyin with tones, or "
                    "ARPAbet); on top of TTS_LEXICON_FILE."),
}


def _fail(name: str, message: str) -> InvalidField:
    return InvalidField(f"'{name}': {message}", code=f"invalid_{name}")


def check_body(data: Any, allowed: Iterable[str]) -> Mapping[str, Any]:
    """A request body: a JSON object whose keys are all in ``allowed`` (``invalid_body``, ``unknown_field``)."""
    if not isinstance(data, Mapping):
        raise InvalidField("the body must be a JSON object", code="invalid_body")
    allowed = set(allowed)
    for key in data:
        if key not in allowed:
            raise InvalidField(f"unknown field '{key}'", code="unknown_field")
    return data


def check_unicode(name: str, value: str) -> str:
    """``value`` if it encodes as UTF-8; unpaired surrogates (JSON escapes such as ``"\\ud800"``) are
    ``invalid_<name>``."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{name} contains unpaired surrogates (not valid Unicode)", code=f"invalid_{name}") from None
    return value


def check_field(name: str, value: Any, spec: Spec | None = None) -> Any:
    """One field's value, type-checked strictly and range-checked. Raises InvalidField ``invalid_<name>``."""
    spec = spec or FIELDS[name]
    if value is None:
        if spec.nullable:
            return None
        raise _fail(name, "must not be null")
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise _fail(name, "must be true or false")
        return value
    if spec.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _fail(name, "must be a list of strings")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise _fail(name, f"must have at most {spec.max_length} items")
        if spec.choices is not None and any(v not in spec.choices for v in value):
            raise _fail(name, f"items must be among {', '.join(map(str, spec.choices))}")
        return tuple(dict.fromkeys(value))
    if spec.kind == "str":
        if not isinstance(value, str):
            raise _fail(name, "must be a string")
        if spec.max_bytes is not None and len(value.encode("utf-8", "surrogatepass")) > spec.max_bytes:
            raise TooLarge(f"'{name}' is over {spec.max_bytes} bytes (UTF-8)", code=f"{name}_too_large")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise _fail(name, f"must be at most {spec.max_length} characters")
        if spec.choices is not None:
            low = value.strip().lower()
            if low not in spec.choices:
                if low == "aac" and spec.choices is FORMATS:  # a format this installation leaves out: say how
                    raise _fail(name, AAC_UNAVAILABLE)
                raise _fail(name, f"must be one of {', '.join(map(str, spec.choices))}")
            return low
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(name, "must be a number" if spec.kind == "number" else "must be an integer")
    if spec.kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise _fail(name, "must be an integer")
        value = int(value)
    else:
        try:
            value = float(value)
        except OverflowError:  # a JSON integer beyond float's range: out of range, not a crash
            value = math.inf if value > 0 else -math.inf
        else:
            if not math.isfinite(value):
                raise _fail(name, "must be a finite number")
    if spec.choices is not None and value not in spec.choices:
        raise _fail(name, f"must be one of {', '.join(map(str, spec.choices))}")
    if spec.lo is not None and spec.hi is not None and not spec.lo <= value <= spec.hi:
        raise _fail(name, f"must be between {spec.lo:g} and {spec.hi:g}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(name, "must be a finite number")
    return value


def looks_like_ssml(text: str) -> bool:
    """True when the first non-space characters are ``<speak``."""
    return text.lstrip().startswith("<speak")


def normalize_text(text: str) -> str:
    """NFC, stripped; a leading byte-order mark (a file saved with one, piped in) goes too."""
    return unicodedata.normalize("NFC", text).strip().lstrip("\ufeff").strip()


@dataclass(frozen=True)
class TTSRequest:
    """A request to speak ``text``. Build it with :meth:`from_dict` (or directly, then :meth:`checked`)."""

    text: str
    voice: str | None = None
    emotion: str = "neutral"
    speed: float = 1.0
    pitch: float = 0.0
    volume: float = 0.0
    format: str = "wav"
    sample_rate: int | None = None
    ssml: bool | None = None
    speech_marks: tuple[str, ...] | None = None
    captions: str | None = None
    lexicon: str | None = None
    # set by resolve(): the text exactly as sent (speech mark offsets count into it); ``text`` is then normalized
    sent_text: str | None = None

    @classmethod
    def from_dict(cls, data: Any, *, ignore: Iterable[str] = ()) -> TTSRequest:
        """Parse JSON-like input strictly. Unknown keys are refused, except those named in ``ignore``."""
        check_body(data, [*FIELDS, *ignore])
        if "text" not in data:
            raise InvalidField("'text' is required", code="missing_text")
        values = {name: check_field(name, data[name], spec) for name, spec in FIELDS.items() if name in data}
        return cls(**values)._combined()

    def _combined(self) -> TTSRequest:
        """Checks across fields."""
        if self.format == "opus" and self.sample_rate is not None and self.sample_rate not in OPUS_RATES:
            raise _fail("sample_rate", f"opus cannot carry {self.sample_rate} Hz; use 8000, 16000 or 24000")
        return self

    def checked(self) -> TTSRequest:
        """The same request with every field type- and range-checked (for requests built in code)."""
        return replace(self, **{f.name: check_field(f.name, getattr(self, f.name)) for f in fields(self)
                                if f.name in FIELDS})._combined()

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # ------------------------------------------------------------------ against the loaded voices
    def resolve(self, voices: Mapping[str, VoiceLike], default_voice: str, max_chars: int) -> TTSRequest:
        """Normalized text, a concrete voice, sample rate and ssml flag. Raises the caller-facing TTSErrors."""
        text = check_text(self.text, max_chars)
        ssml = decide_ssml(text, self.ssml)
        info = find_voice(voices, self.voice, default_voice)
        check_emotion(info, self.emotion)
        return replace(self, text=text, sent_text=self.text, voice=info.name, ssml=ssml,
                       sample_rate=int(self.sample_rate or info.sample_rate))


def check_text(text: Any, max_chars: int) -> str:
    if not isinstance(text, str):
        raise _fail("text", "must be a string")
    norm = normalize_text(text)
    if not norm:
        raise InvalidInput("text is empty", code="empty_text")
    check_unicode("text", norm)
    if len(norm) > max_chars:
        raise TooLarge(
            f"text has {len(norm)} characters; the limit is {max_chars} (TTS_MAX_CHARS). "
            "Split it, or use the S3 batch path for long texts.",
            code="text_too_long",
        )
    return norm


def decide_ssml(text: str, ssml: bool | None) -> bool:
    """Whether ``text`` is SSML: detected when ``ssml`` is None; a contradiction or stray tags are refused."""
    starts = looks_like_ssml(text)
    if ssml is None:
        if starts:
            return True
        if _SSML_TAG.search(text):
            raise InvalidInput(
                "the text contains SSML tags but does not start with <speak>: wrap it in <speak>...</speak> "
                "(or set ssml to true)",
                code="ssml_without_speak",
            )
        return False
    if ssml is False and starts:
        raise InvalidInput("the text starts with <speak but ssml is false: drop 'ssml' or set it to true",
                           code="ssml_conflict")
    return ssml


def find_voice(voices: Mapping[str, VoiceLike], voice: str | None, default_voice: str) -> VoiceLike:
    """The voice named ``voice`` (any case), the default voice for None or an OpenAI voice name."""
    if voice is None or voice.strip().lower() in OPENAI_VOICES:
        name = default_voice
    else:
        name = voice.strip()
    info = voices.get(name)
    if info is None:
        folded = {k.lower(): v for k, v in voices.items()}
        info = folded.get(name.lower())
    if info is None:
        raise UnknownVoice(f"unknown voice {name!r}; available: {', '.join(voices)}")
    return info


def check_emotion(info: VoiceLike, emotion: str) -> str:
    if emotion not in info.emotions:
        raise UnknownEmotion(f"voice {info.name} has no emotion {emotion!r}; available: {', '.join(info.emotions)}")
    return emotion


def check_controls(speed: Any, pitch: Any, volume: Any) -> tuple[float, float, float]:
    """speed, pitch and volume (dB) checked with the request's messages."""
    return check_field("speed", speed), check_field("pitch", pitch), check_field("volume", volume)


def schema_properties(specs: Mapping[str, Spec]) -> dict[str, Any]:
    """JSON-schema properties of field specs (for OpenAPI)."""
    kinds = {"str": "string", "number": "number", "bool": "boolean", "int": "integer", "list": "array"}
    props: dict[str, Any] = {}
    for name, spec in specs.items():
        p: dict[str, Any] = {"type": kinds[spec.kind], "description": spec.description}
        if spec.default is not None:
            p["default"] = spec.default
        if spec.kind == "list":
            p["items"] = {"type": "string", "enum": list(spec.choices or ())}
            p["maxItems"] = spec.max_length
        else:
            if spec.choices is not None:
                p["enum"] = list(spec.choices)
            if spec.max_length is not None:
                p["maxLength"] = spec.max_length
        if spec.lo is not None:
            p["minimum"], p["maximum"] = spec.lo, spec.hi
        if spec.nullable and name != "text":
            p = {"anyOf": [p, {"type": "null"}], "description": spec.description}
        props[name] = p
    return props


def json_schema() -> dict[str, Any]:
    """The JSON schema of the request (for OpenAPI), built from :data:`FIELDS`."""
    return {"title": "TTSRequest", "type": "object", "properties": schema_properties(FIELDS), "required": ["text"],
            "additionalProperties": False, "examples": [{"text": "你好，世界。"}]}
