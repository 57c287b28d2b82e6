"""Long-form synthesis jobs over HTTP (like Polly's StartSpeechSynthesisTask), run by the batch path.

A job is a batch upload the API makes for the caller:

- ``create``: the text (or a copy of an input object) is written to ``<input_prefix>jobs/<id>.<kind>`` with the
  job's voice, emotion, format and speed as object metadata, plus a record at ``<output_prefix>jobs/<id>.json``.
  In AWS the upload's S3 notification starts the batch (fan-out, manifests, idempotency as for any upload);
  ``sambert-lambda serve`` runs the same ``process_upload`` in a thread instead.
- Text up to TTS_BATCH_MAX_TXT_CHARS becomes a ``.txt`` (one audio file, assembled from sentence chunks), SSML a
  ``.ssml`` (the same, from standalone SSML parts); longer input becomes a ``.jsonl`` of chunks, each its own audio
  file, listed in order (``parts``). SSML parts reopen the elements open at their cut
  (:func:`~sambert_lambda.batch.chunking.chunk_ssml`).
- ``status``: queued (nothing done yet), running (progress = finished units / units), complete, or failed
  (the file failed, or any part did); presigned URLs of the audio, its speech marks (when asked for) and the
  manifest once complete. A part's marks count time from the part's audio and bytes from the part's text, which
  starts ``text_offset`` bytes into the job's text.

Ids are 128 random bits (hex). Nothing lists jobs, and a status reads only its own id's keys.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

from sambert_lambda.batch.chunking import chunk_text, ssml_parts
from sambert_lambda.batch.jobs import KINDS, byte_offsets
from sambert_lambda.batch.layout import Layout
from sambert_lambda.errors import InvalidInput, StorageUnavailable, TooLarge, TTSError
from sambert_lambda.request import normalize_text

MAX_JOB_CHARS = 200_000
PART_CHARS = 1000  # characters per .jsonl line (one synthesis unit) when a job is split into parts
JOBS_DIR = "jobs/"
_ID = re.compile(r"^[0-9a-f]{32}$")


class NotFound(TTSError, status=404, code="job_not_found"):
    """No job with that id."""


def _get(storage: Any, key: str, max_bytes: int) -> bytes | None:
    """The object's bytes, or None when it does not exist (either storage's 404)."""
    try:
        return storage.get(key, max_bytes=max_bytes)[0]
    except TTSError as e:
        if e.status == 404:
            return None
        raise


def new_id() -> str:
    return secrets.token_hex(16)


def input_key(layout: Layout, job_id: str, kind: str) -> str:
    return f"{layout.input_prefix}{JOBS_DIR}{job_id}.{kind}"


def record_key(layout: Layout, job_id: str) -> str:
    return f"{layout.output_prefix}{JOBS_DIR}{job_id}.json"


def create(env: Any, layout: Layout, *, text: str | None, input_object: str | None, ssml: bool, voice: str,
           emotion: str, fmt: str, speed: float, speech_marks: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    """Write the job's input and record; returns ``{"id", "status", "input_key"}``. Validation happens here."""
    storage, settings = env.storage, env.settings
    if (text is None) == (input_object is None):
        raise InvalidInput("give exactly one of text and input_key", code="invalid_job")
    if input_object is not None:
        text, ssml = _read_input(env, layout, input_object)
    assert text is not None
    if not text.strip():
        raise InvalidInput("text is empty", code="empty_text")
    if len(text) > MAX_JOB_CHARS:
        raise TooLarge(f"text has {len(text)} characters; a job takes at most {MAX_JOB_CHARS}", code="text_too_long")
    if ssml:  # malformed SSML or an element that is refused: a 400 now, not a failed job later
        from sambert_lambda.frontend.ssml import parse_ssml

        parse_ssml(normalize_text(text))
    job_id = new_id()
    meta = {"voice": voice, "emotion": emotion, "format": fmt, "speed": repr(float(speed))}
    if speech_marks:
        meta["speech-marks"] = ",".join(speech_marks)
    offsets: list[int] = []
    if ssml and len(text) > settings.max_chars:
        _ssml_parts(text, settings.max_chars)  # a piece that cannot be cut and cannot be spoken whole: 413 now
    if len(text) <= settings.batch_max_txt_chars:  # one audio file, assembled from chunks (SSML: standalone parts)
        kind, body = ("ssml" if ssml else "txt"), text
    else:
        if ssml:
            parts = _ssml_parts(text, settings.max_chars)
            lines = [{"text": part, "ssml": True} for part, _ in parts]
            offsets = [shift for _, shift in parts]
        else:
            chunks = chunk_text(text, min(PART_CHARS, settings.max_chars))
            lines = [{"text": c} for c in chunks]
            offsets = byte_offsets(text, chunks)
        kind = "jsonl"
        body = "".join(json.dumps({"id": f"part-{i:05d}", **line}, ensure_ascii=False) + "\n"
                       for i, line in enumerate(lines, 1))  # fmt: skip
    key = input_key(layout, job_id, kind)
    record = {"id": job_id, "input_key": key, "kind": kind, "format": fmt, "created": int(time.time())}
    if offsets and speech_marks:
        record["offsets"] = offsets
    storage.put(record_key(layout, job_id), json.dumps(record).encode(), "application/json", {})
    storage.put(key, body.encode("utf-8"), "text/plain; charset=utf-8", meta)
    info = storage.head(key)  # the ETag the batch will see (put returns nothing)
    if info is None:
        raise StorageUnavailable(f"the job input {key!r} was written but cannot be read back")
    record["etag"] = info.etag
    storage.put(record_key(layout, job_id), json.dumps(record).encode(), "application/json", {})
    return {"id": job_id, "status": "queued", "input_key": key}


def _ssml_parts(doc: str, max_chars: int) -> list[tuple[str, int]]:
    """A long SSML document as standalone SSML parts (:func:`~sambert_lambda.batch.chunking.ssml_parts`): parts of
    about PART_CHARS where the markup allows, up to ``max_chars`` (TTS_MAX_CHARS) where a piece cannot be cut."""
    try:
        return ssml_parts(doc, PART_CHARS, max_chars)
    except ValueError:
        raise TooLarge(
            f"the SSML holds a piece longer than {max_chars} characters (TTS_MAX_CHARS) with no place to cut it: a "
            "long job is cut in text, after a sentence or a clause, never inside <say-as>, <phoneme> or <sub>",
            code="text_too_long",
        ) from None


def _read_input(env: Any, layout: Layout, key: str) -> tuple[str, bool]:
    """The text of a caller's input object: under the input prefix, outside the jobs' own inputs."""
    kind = next((k for ext, k in KINDS.items() if key.endswith(ext)), None)
    if (not layout.accepts(key) or key.startswith(layout.input_prefix + JOBS_DIR) or kind not in ("txt", "ssml")
            or ".." in key.split("/")):  # fmt: skip
        raise InvalidInput(f"input_key must be a .txt or .ssml object under {layout.input_prefix!r} (not {JOBS_DIR})",
                           code="invalid_input_key")  # fmt: skip
    data = _get(env.storage, key, env.settings.max_input_bytes)
    if data is None:
        raise NotFound(f"no input object {key!r}", code="input_not_found")
    try:
        return data.decode("utf-8"), kind == "ssml"
    except UnicodeDecodeError:
        raise InvalidInput("the input object is not UTF-8 text", code="invalid_encoding") from None


def status(env: Any, layout: Layout, job_id: str) -> dict[str, Any]:
    """The job's status, progress and (when complete) presigned URLs. Unknown or malformed ids are 404."""
    if not isinstance(job_id, str) or not _ID.match(job_id):
        raise NotFound("no such job")
    storage = env.storage
    raw = _get(storage, record_key(layout, job_id), 65536)
    if raw is None:
        raise NotFound("no such job")
    record = json.loads(raw)
    key = record["input_key"]
    out: dict[str, Any] = {"id": job_id, "status": "queued", "progress": 0.0, "format": record["format"],
                           "created": record["created"]}  # fmt: skip
    if "etag" not in record:
        return out
    keys = layout.outputs(key, record["etag"].strip('"'))
    manifest = _manifest(storage, keys.manifest)
    if manifest is None or manifest.get("source", {}).get("etag", "").strip('"') != record["etag"].strip('"'):
        done = len(storage.list(keys.done_prefix))
        if done:
            out.update(status="running", progress=_progress(done, _units(storage, key)))
        return out
    summary = manifest["summary"]
    if manifest["status"] == "in_progress":
        finished = summary["done"] + summary["failed"]
        out.update(status="running", progress=round(finished / summary["total"], 4) if summary["total"] else 0.0)
        return out
    failed = manifest["status"] == "failed" or summary["failed"] > 0
    out.update(status="failed" if failed else "complete", progress=1.0, items=summary)
    url, expires = storage.presign(keys.manifest)
    out["manifest_url"], out["expires_at"] = url, expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    if failed:
        out["error"] = manifest.get("error") or next((i["error"] for i in manifest["items"] if i.get("error")), None)
        return out
    done = [i for i in manifest["items"] if i.get("key")]
    if record["kind"] == "jsonl":
        offsets = record.get("offsets") or []
        out["parts"] = []
        for n, i in enumerate(done):
            part = {"url": storage.presign(i["key"])[0], "duration": i["duration"]}
            if i.get("speech_marks"):
                part["speech_marks_url"] = storage.presign(i["speech_marks"])[0]
                part["text_offset"] = offsets[n] if n < len(offsets) else None
            out["parts"].append(part)
        out["duration_seconds"] = round(sum(p["duration"] or 0.0 for p in out["parts"]), 3)
    else:
        out["audio_url"] = storage.presign(done[0]["key"])[0]
        out["duration_seconds"] = manifest["items"][0]["duration"]
        if done[0].get("speech_marks"):
            out["speech_marks_url"] = storage.presign(done[0]["speech_marks"])[0]
    return out


def _manifest(storage: Any, key: str) -> dict[str, Any] | None:
    raw = _get(storage, key, 64 * 1024 * 1024)
    return None if raw is None else json.loads(raw)


def _units(storage: Any, key: str) -> int:
    """Units of a job input: its .jsonl lines, or 0 when unknown (a .txt is chunked by the batch)."""
    if not key.endswith(".jsonl"):
        return 0
    data = _get(storage, key, 16 * 1024 * 1024) or b""
    return sum(1 for line in data.splitlines() if line.strip())


def _progress(done: int, units: int) -> float:
    return round(min(done / units, 0.99), 4) if units else 0.0
