"""Turn an uploaded file into batch items (what the manifest lists) and units (what one synthesis call does).

- ``.jsonl``: one item per non-blank line, ``{"id"?, "text", "voice"?, "emotion"?, "format"?, "speed"?, "ssml"?,
  "speech_marks"?}``;
  each item is one unit, numbered by its line. A malformed line is a failed item with its reason.
- ``.txt``: one item (line 1) whose text is cut into chunks at sentence boundaries; each chunk is a unit and the
  item's audio is assembled from them.
- ``.ssml``: one item; a document longer than a chunk is cut into standalone SSML parts (see
  :func:`~sambert_lambda.batch.chunking.chunk_ssml`), one unit each, and the item's audio is assembled from them.

Voice, emotion, format, speed and speech marks default to the object's metadata (``x-amz-meta-voice`` ...,
``x-amz-meta-speech-marks: sentence,word``), then to settings. With speech marks, every audio file gets its JSON
Lines beside it (``audio.marks.jsonl``, ``<line>.marks.jsonl``).
A file that is empty, binary, not UTF-8, too large or of an unknown type gives a :class:`FileError` instead.
Parsing is pure and deterministic: the S3 invocation and every fan-out consumer get the same items and units.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.parsers.expat import ExpatError

from sambert_lambda.batch.chunking import chunk_text, ssml_parts
from sambert_lambda.errors import InvalidInput, TTSError
from sambert_lambda.request import check_field, decide_ssml

KINDS: dict[str, str] = {".txt": "txt", ".jsonl": "jsonl", ".ssml": "ssml"}
JSONL_FIELDS = ("id", "text", "voice", "emotion", "format", "speed", "ssml", "speech_marks")
_BINARY_CONTROL_RATIO = 0.05  # more control characters than this (besides \t \n \r \f) means binary
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class ErrorInfo:
    code: str
    message: str

    @classmethod
    def of(cls, err: TTSError) -> ErrorInfo:
        return cls(err.code, err.message)

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class FileError(TTSError):
    """The whole file is unusable; the manifest says why and lists no items."""


@dataclass(frozen=True)
class Options:
    voice: str | None = None
    emotion: str = "neutral"
    fmt: str = "mp3"
    speed: float = 1.0
    marks: tuple[str, ...] = ()  # speech mark types written beside the audio


@dataclass(frozen=True)
class Item:
    """One manifest entry: one .jsonl line, or the whole .txt / .ssml."""

    line: int
    id: str | None
    options: Options
    units: tuple[int, ...] = ()
    assembled: bool = False  # True: the audio is joined from unit parts (.txt)
    error: ErrorInfo | None = None  # parse-time failure (no unit runs)


@dataclass(frozen=True)
class Unit:
    """One synthesis call."""

    index: int
    line: int
    text: str
    ssml: bool
    byte_offset: int = 0  # where ``text`` starts in the file (UTF-8 bytes): a .txt chunk's marks are shifted by it


@dataclass(frozen=True)
class ParsedFile:
    kind: str
    items: tuple[Item, ...]
    units: dict[int, Unit] = field(default_factory=dict)

    def item_of(self, unit: Unit) -> Item:
        for item in self.items:
            if item.line == unit.line:
                return item
        raise KeyError(unit.line)


def kind_of(key: str) -> str:
    name = key.rsplit("/", 1)[-1].lower()
    for ext, kind in KINDS.items():
        if name.endswith(ext):
            return kind
    raise FileError(
        f"unsupported file type {name!r}; upload .txt, .jsonl or .ssml", code="unsupported_file_type", status=400
    )


def check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise FileError(
            f"file is {size} bytes, over the limit of {max_bytes} (TTS_MAX_INPUT_BYTES)", code="too_large", status=413
        )


def decode_text(data: bytes) -> str:
    """UTF-8 text (BOM stripped), or FileError empty_file / binary_file / invalid_encoding."""
    if not data.strip():
        raise FileError("file is empty", code="empty_file", status=400)
    sniff = data[:_SNIFF_BYTES]
    if sniff.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileError("file is UTF-16; re-save it as UTF-8", code="invalid_encoding", status=400)
    controls = sum(1 for b in sniff if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sniff or controls > _BINARY_CONTROL_RATIO * len(sniff):
        raise FileError("file is binary, not text", code="binary_file", status=400)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FileError(
            f"file is not valid UTF-8 (byte {e.start}: {data[e.start:e.start + 1]!r}); re-save it as UTF-8",
            code="invalid_encoding",
            status=400,
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise FileError("file is empty", code="empty_file", status=400)
    return text


def defaults_from_metadata(metadata: Mapping[str, str], default_fmt: str) -> tuple[Options, ErrorInfo | None]:
    """Options from S3 object metadata (keys are case-insensitive); an invalid value is reported, not guessed."""
    meta = {str(k).lower(): str(v).strip() for k, v in metadata.items()}
    raw: dict[str, Any] = {k: meta[k] for k in ("voice", "emotion", "format", "speed") if meta.get(k)}
    if meta.get("speech-marks"):  # S3 metadata is text: a comma-separated list
        raw["speech_marks"] = [t.strip() for t in meta["speech-marks"].split(",") if t.strip()]
    try:
        return _options(raw, Options(fmt=default_fmt), where="object metadata"), None
    except TTSError as e:
        return Options(fmt=default_fmt), ErrorInfo.of(e)


def _options(raw: Mapping[str, Any], base: Options, *, where: str) -> Options:
    """Per-item options, checked with the core request's rules and messages (prefixed with ``where``)."""
    values = {"voice": base.voice, "emotion": base.emotion, "format": base.fmt, "speed": base.speed,
              "speech_marks": base.marks}
    for name in values:
        value = raw.get(name)
        if value is None:
            continue
        if name == "speed" and isinstance(value, str) and where == "object metadata":  # S3 metadata is text
            try:
                value = float(value)
            except ValueError:
                pass  # refused below as not a number
        try:
            values[name] = check_field(name, value)
        except TTSError as e:
            raise InvalidInput(f"{where}: {e.message}", code=e.code, status=e.status) from None
    return Options(voice=values["voice"], emotion=values["emotion"], fmt=values["format"], speed=values["speed"],
                   marks=tuple(values["speech_marks"] or ()))


def parse(
    kind: str,
    text: str,
    defaults: Options,
    *,
    chunk_chars: int,
    max_txt_chars: int,
    defaults_error: ErrorInfo | None = None,
) -> ParsedFile:
    if kind == "jsonl":
        return _parse_jsonl(text, defaults, defaults_error)
    if kind == "txt":
        whole, text = text, text.strip()
        try:  # as on every route: text starting with <speak is SSML; SSML tags without it are refused
            as_ssml = decide_ssml(text, None)
        except TTSError as e:
            raise FileError(e.message, code=e.code, status=e.status) from None
        if as_ssml:
            kind = "ssml"
    if kind == "txt":
        if len(text) > max_txt_chars:
            raise FileError(
                f".txt has {len(text)} characters; one audio file takes at most {max_txt_chars} "
                "(TTS_BATCH_MAX_TXT_CHARS). Split it, or upload a .jsonl with one line per part.",
                code="too_large",
                status=413,
            )
        chunks = chunk_text(text, chunk_chars)
        units = {i: Unit(i, 1, c, False, off) for i, (c, off) in enumerate(zip(chunks, byte_offsets(whole, chunks),
                                                                                  strict=True), start=1)}
        item = Item(1, None, defaults, tuple(units), assembled=True, error=defaults_error)
        return ParsedFile("txt", (item,), units if defaults_error is None else {})
    if kind == "ssml":
        body = text.strip()
        if len(body) > max_txt_chars:
            raise FileError(
                f".ssml has {len(body)} characters; one audio file takes at most {max_txt_chars} "
                "(TTS_BATCH_MAX_TXT_CHARS). Split it, or upload a .jsonl with one line per part.",
                code="too_large",
                status=413,
            )
        parts = _ssml_chunks(body, chunk_chars)
        if len(parts) <= 1:
            unit = Unit(1, 1, body, True)
            item = Item(1, None, defaults, (1,), error=defaults_error)
            return ParsedFile("ssml", (item,), {1: unit} if defaults_error is None else {})
        lead = len(text[: len(text) - len(text.lstrip())].encode("utf-8", "surrogatepass"))
        units = {i: Unit(i, 1, part, True, lead + shift) for i, (part, shift) in enumerate(parts, start=1)}
        item = Item(1, None, defaults, tuple(units), assembled=True, error=defaults_error)
        return ParsedFile("ssml", (item,), units if defaults_error is None else {})
    raise ValueError(kind)


def _ssml_chunks(doc: str, chunk_chars: int) -> list[tuple[str, int]]:
    """A long SSML document as standalone parts of about ``chunk_chars`` (:func:`ssml_parts`, up to 16 times that
    where the markup needs it), synthesized one by one and joined like a .txt's chunks. Malformed SSML, or SSML with a
    longer piece that cannot be cut, stays one unit: its synthesis reports the error (``invalid_ssml``,
    ``text_too_long``)."""
    if len(doc) <= chunk_chars:
        return [(doc, 0)]
    try:
        return ssml_parts(doc, chunk_chars, chunk_chars * 16)
    except (ExpatError, ValueError):
        return [(doc, 0)]


def byte_offsets(text: str, chunks: list[str]) -> list[int]:
    """UTF-8 byte offset in ``text`` of each chunk (chunks are substrings of ``text``, in order)."""
    out, pos, consumed = [], 0, 0
    for c in chunks:
        at = text.find(c, pos)
        at = pos if at < 0 else at
        consumed += len(text[pos:at].encode("utf-8", "surrogatepass"))
        out.append(consumed)
        consumed += len(text[at:at + len(c)].encode("utf-8", "surrogatepass"))
        pos = at + len(c)
    return out


def _parse_jsonl(text: str, defaults: Options, defaults_error: ErrorInfo | None) -> ParsedFile:
    items: list[Item] = []
    units: dict[int, Unit] = {}
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item, unit = _parse_line(line, line_no, defaults)
        except TTSError as e:
            items.append(Item(line_no, _peek_id(line), defaults, error=ErrorInfo.of(e)))
            continue
        if defaults_error is not None:
            item = Item(item.line, item.id, item.options, error=defaults_error)
        else:
            units[line_no] = unit
        items.append(item)
    if not items:
        raise FileError("file has no lines", code="empty_file", status=400)
    return ParsedFile("jsonl", tuple(items), units)


def _parse_line(line: str, line_no: int, defaults: Options) -> tuple[Item, Unit]:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as e:
        msg = getattr(e, "msg", "too deeply nested")
        raise InvalidInput(f"line {line_no} is not valid JSON: {msg}", code="invalid_json") from None
    if not isinstance(obj, dict):
        raise InvalidInput(f"line {line_no} must be a JSON object", code="invalid_json")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput(f"line {line_no} has no text", code="empty_text")
    ssml = obj.get("ssml")
    if ssml is not None and not isinstance(ssml, bool):
        raise InvalidInput(f"line {line_no}: ssml must be true or false", code="invalid_input")
    try:  # absent: detected from <speak, as on every route
        ssml = decide_ssml(text.strip(), ssml)
    except TTSError as e:
        raise InvalidInput(f"line {line_no}: {e.message}", code=e.code, status=e.status) from None
    options = _options(obj, defaults, where=f"line {line_no}")
    item = Item(line_no, _id(obj.get("id")), options, (line_no,))
    return item, Unit(line_no, line_no, text, ssml)


def _id(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (str, int)):
        return str(value)[:256]
    return None


def _peek_id(line: str) -> str | None:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return None
    return _id(obj.get("id")) if isinstance(obj, dict) else None


def parse_file(
    key: str,
    data: bytes,
    metadata: Mapping[str, str],
    *,
    max_bytes: int,
    chunk_chars: int,
    max_txt_chars: int,
    default_fmt: str,
) -> ParsedFile:
    """Everything from the raw upload; raises FileError when the whole file is unusable."""
    kind = kind_of(key)
    check_size(len(data), max_bytes)
    text = decode_text(data)
    defaults, defaults_error = defaults_from_metadata(metadata, default_fmt)
    return parse(
        kind, text, defaults, chunk_chars=chunk_chars, max_txt_chars=max_txt_chars, defaults_error=defaults_error
    )

