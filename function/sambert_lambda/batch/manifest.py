"""Done markers and the manifest built from them.

A marker is a small JSON object written after a unit's output is stored, recording success (key, duration) or
failure (error code and message). The manifest is a pure function of the parsed file and the markers: every
writer builds the same bytes from the same markers, so parallel consumers cannot disagree, and a re-delivered
event rewrites an identical manifest. Nothing time-dependent goes in either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sambert_lambda.batch.jobs import ErrorInfo, Item, ParsedFile
from sambert_lambda.batch.layout import OutputKeys
from sambert_lambda.batch.source import Source

MANIFEST_VERSION = 1
JSON_TYPE = "application/json"


@dataclass(frozen=True)
class Marker:
    unit: int  # 0 for the assembled-audio marker
    line: int
    status: str  # done | failed
    key: str | None = None
    duration: float | None = None
    samples: int | None = None
    sample_rate: int | None = None
    error: ErrorInfo | None = None
    marks_key: str | None = None  # the speech marks beside the audio, when asked for

    def to_bytes(self) -> bytes:
        doc = {
            "unit": self.unit,
            "line": self.line,
            "status": self.status,
            "key": self.key,
            "duration": self.duration,
            "samples": self.samples,
            "sample_rate": self.sample_rate,
            "error": self.error.to_dict() if self.error else None,
        }
        if self.marks_key:
            doc["marks_key"] = self.marks_key
        return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Marker:
        doc = json.loads(data.decode("utf-8"))
        err = doc.get("error")
        return cls(
            unit=int(doc["unit"]),
            line=int(doc["line"]),
            status=str(doc["status"]),
            key=doc.get("key"),
            duration=doc.get("duration"),
            samples=doc.get("samples"),
            sample_rate=doc.get("sample_rate"),
            error=ErrorInfo(str(err["code"]), str(err["message"])) if err else None,
            marks_key=doc.get("marks_key"),
        )


def duration_of(samples: int, sample_rate: int) -> float:
    return round(samples / float(sample_rate), 3) if sample_rate else 0.0


def _item_entry(item: Item, parsed: ParsedFile, keys: OutputKeys, units: dict[int, Marker],
                audio: Marker | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"line": item.line, "id": item.id, "status": "pending", "key": None,
                             "format": item.options.fmt, "duration": None, "error": None}
    if item.error is not None:
        entry.update(status="failed", error=item.error.to_dict())
        return entry
    if item.assembled:
        failed = [units[u] for u in item.units if u in units and units[u].status == "failed"]
        if failed:
            first = failed[0]
            message = f"chunk {first.unit} of {len(item.units)}: {first.error.message if first.error else ''}"
            entry.update(status="failed", error={"code": first.error.code if first.error else "failed",
                                                 "message": message})
        elif audio is not None and audio.status == "done":
            entry.update(status="done", key=audio.key, duration=audio.duration)
            if audio.marks_key:
                entry["speech_marks"] = audio.marks_key
        elif audio is not None:
            entry.update(status="failed", error=audio.error.to_dict() if audio.error else None)
        return entry
    marker = units.get(item.units[0]) if item.units else None
    if marker is not None:
        if marker.status == "done":
            entry.update(status="done", key=marker.key, duration=marker.duration)
            if marker.marks_key:
                entry["speech_marks"] = marker.marks_key
        else:
            entry.update(status="failed", error=marker.error.to_dict() if marker.error else None)
    return entry


def build(source: Source, parsed: ParsedFile | None, keys: OutputKeys, units: dict[int, Marker],
          audio: Marker | None = None, file_error: ErrorInfo | None = None) -> dict[str, Any]:
    """The manifest document. ``status`` is complete (nothing pending), in_progress, or failed (file error)."""
    items = [] if parsed is None else [_item_entry(i, parsed, keys, units, audio) for i in parsed.items]
    summary = {s: sum(1 for e in items if e["status"] == s) for s in ("done", "failed", "pending")}
    if file_error is not None:
        status = "failed"
    else:
        status = "in_progress" if summary["pending"] else "complete"
    return {
        "version": MANIFEST_VERSION,
        "source": source.describe(),
        "kind": None if parsed is None else parsed.kind,
        "status": status,
        "error": file_error.to_dict() if file_error else None,
        "items": items,
        "summary": {"total": len(items), **summary},
    }


def dumps(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
