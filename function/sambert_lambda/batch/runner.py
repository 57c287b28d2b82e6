"""Run the units of one uploaded file, leave a done marker per unit, assemble .txt audio, write the manifest.

Order of writes for one unit: audio object, then its marker. A crash between the two only means the unit runs
again (same key, same bytes); a marker never points at missing audio. A unit that fails with a client error
(bad SSML, unknown voice, too long...) gets a failed marker with its reason and the file goes on. Server-side
errors (storage down, model unavailable) propagate so the event or message is retried.

The manifest is rebuilt from a listing of the markers and rewritten until a listing taken after the write shows
no marker it missed: the last writer always saw every marker, whoever else writes concurrently.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from sambert_lambda import audio
from sambert_lambda import marks as sm
from sambert_lambda.batch import manifest as mf
from sambert_lambda.batch.budget import Budget
from sambert_lambda.batch.jobs import ErrorInfo, ParsedFile, Unit
from sambert_lambda.batch.layout import OutputKeys
from sambert_lambda.batch.notify import announce
from sambert_lambda.batch.source import Source
from sambert_lambda.errors import TTSError
from sambert_lambda.observability import logger

_PART_FORMAT = "wav"
_MANIFEST_ROUNDS = 5
_READ_THREADS = 8


class Progress(Protocol):  # tqdm fits
    def reset(self, total: int | None = None) -> None: ...

    def update(self, n: int = 1) -> bool | None: ...


@dataclass
class Env:
    """What a batch needs from the service: output storage, a synthesizer and the settings."""

    storage: Any
    synthesizer: Any
    settings: Any


class FileRun:
    """One version (ETag) of one input file."""

    def __init__(self, env: Env, source: Source, keys: OutputKeys, parsed: ParsedFile | None,
                 file_error: ErrorInfo | None = None) -> None:
        self.env = env
        self.source = source
        self.keys = keys
        self.parsed = parsed
        self.file_error = file_error
        self.markers: dict[int, mf.Marker] = {}
        self.audio_marker: mf.Marker | None = None
        self._listed = False
        self._meta = {"source-etag": source.etag}

    # -------------------------------------------------------------- markers
    def _marker_keys(self) -> set[str]:
        return set(self.env.storage.list(self.keys.done_prefix))

    def load_markers(self) -> set[str]:
        """List this version's markers and read the ones not yet known. Returns the listed keys."""
        listed = self._marker_keys()
        wanted = [k for k in sorted(listed) if self._needs(k)]
        if wanted:
            with ThreadPoolExecutor(max_workers=min(_READ_THREADS, len(wanted))) as pool:
                for key, data in zip(wanted, pool.map(lambda k: self.env.storage.get(k)[0], wanted), strict=True):
                    marker = mf.Marker.from_bytes(data)
                    if key == self.keys.audio_marker:
                        self.audio_marker = marker
                    else:
                        self.markers[marker.unit] = marker
        self._listed = True
        return listed

    def _needs(self, key: str) -> bool:
        if key == self.keys.audio_marker:
            return self.audio_marker is None
        unit = OutputKeys.unit_of(key)
        return unit is not None and unit not in self.markers

    def is_done(self, index: int) -> bool:
        if index in self.markers:
            return True
        if self._listed:
            return False
        return self.env.storage.head(self.keys.unit_marker(index)) is not None

    def _all_listed(self) -> bool:
        if self.parsed is None:
            return False
        listed = {OutputKeys.unit_of(k) for k in self._marker_keys()}
        return all(u in listed or u in self.markers for u in self.parsed.units)

    def finished(self) -> bool:
        return self.parsed is not None and all(u in self.markers for u in self.parsed.units)

    # -------------------------------------------------------------- units
    def run_units(self, indexes: Iterable[int], budget: Budget, progress: Progress | None = None) -> list[int]:
        """Run the given units not yet done; returns those left unstarted because the time budget ran out."""
        assert self.parsed is not None
        remaining: list[int] = []
        for index in indexes:
            if self.is_done(index):
                continue
            if budget.exhausted():
                remaining.append(index)
                continue
            started = time.perf_counter()
            self._run_unit(self.parsed.units[index])
            budget.record(time.perf_counter() - started)
            if progress is not None:
                progress.update(1)
        return remaining

    def _output_key(self, unit: Unit) -> tuple[str, str]:
        assert self.parsed is not None
        item = self.parsed.item_of(unit)
        if item.assembled:
            return self.keys.part(unit.index), _PART_FORMAT
        if self.parsed.kind == "jsonl":
            return self.keys.line_audio(unit.line, item.options.fmt), item.options.fmt
        return self.keys.audio(item.options.fmt), item.options.fmt

    def _run_unit(self, unit: Unit) -> mf.Marker:
        assert self.parsed is not None
        item = self.parsed.item_of(unit)
        key, fmt = self._output_key(unit)
        opts = item.options
        error: ErrorInfo | None = None
        try:
            result = self.env.synthesizer.synthesize(
                unit.text, voice=opts.voice, emotion=opts.emotion, speed=opts.speed, ssml=unit.ssml
            )
            body = audio.encode(result.audio, result.sample_rate, fmt)
            marks = sm.to_jsonl(sm.speech_marks(unit.text, result.rendered, result.sample_rate, opts.marks)) \
                if opts.marks else None
        except TTSError as e:
            if e.status >= 500:
                raise
            error = ErrorInfo.of(e)
        except Exception as e:  # noqa: BLE001 - a bug on one line must not sink the others; logged with traceback
            logger.exception("batch unit failed", extra={"key": self.source.key, "unit": unit.index})
            error = ErrorInfo("internal_error", f"synthesis failed ({type(e).__name__})")
        if error is not None:
            self.env.storage.delete(key)  # an older upload's audio must not pass for this one's
            marker = mf.Marker(unit.index, unit.line, "failed", error=error)
        else:
            marks_key = None
            if marks is not None:  # the marks first: a stored audio never lacks the marks it was asked with
                marks_key = OutputKeys.marks(key)
                self.env.storage.put(marks_key, marks, sm.JSONL_TYPE, {**self._meta, "source-line": str(unit.line)})
            self.env.storage.put(key, body, audio.content_type(fmt, result.sample_rate),
                                 {**self._meta, "source-line": str(unit.line)})
            samples = len(result.audio)
            marker = mf.Marker(unit.index, unit.line, "done", key=key, samples=samples,
                               sample_rate=int(result.sample_rate),
                               duration=mf.duration_of(samples, int(result.sample_rate)), marks_key=marks_key)
        self.env.storage.put(self.keys.unit_marker(unit.index), marker.to_bytes(), mf.JSON_TYPE, self._meta)
        self.markers[unit.index] = marker
        return marker

    # -------------------------------------------------------------- assembly
    def assemble(self) -> None:
        """Join a .txt's parts into its audio, decoded and encoded once, when every part is done."""
        if self.parsed is None or self.audio_marker is not None:
            return
        for item in self.parsed.items:
            if not item.assembled or item.error is not None or not self.finished():
                continue
            if any(self.markers[u].status != "done" for u in item.units):
                continue
            waves: list[np.ndarray] = []
            rate = 0
            marks: list[bytes] = []
            at = 0
            for u in item.units:
                data, _ = self.env.storage.get(self.keys.part(u))
                wave, rate = audio.decode(data, _PART_FORMAT)
                if self.markers[u].marks_key:  # each chunk's marks, moved to where the chunk sits in time and text
                    part_marks, _ = self.env.storage.get(self.markers[u].marks_key)
                    marks.append(sm.shift_jsonl(part_marks, at * 1000.0 / rate, self.parsed.units[u].byte_offset))
                at += len(wave)
                waves.append(wave)
            joined = np.concatenate(waves) if waves else np.zeros(0, dtype=np.float32)
            fmt = item.options.fmt
            key = self.keys.audio(fmt)
            marks_key = None
            if item.options.marks:
                marks_key = OutputKeys.marks(key)
                self.env.storage.put(marks_key, b"".join(marks), sm.JSONL_TYPE, self._meta)
            self.env.storage.put(key, audio.encode(joined, rate, fmt), audio.content_type(fmt, rate), self._meta)
            marker = mf.Marker(0, item.line, "done", key=key, samples=len(joined), sample_rate=rate,
                               duration=mf.duration_of(len(joined), rate), marks_key=marks_key)
            self.env.storage.put(self.keys.audio_marker, marker.to_bytes(), mf.JSON_TYPE, self._meta)
            self.audio_marker = marker

    # -------------------------------------------------------------- manifest
    def build_manifest(self) -> dict[str, Any]:
        return mf.build(self.source, self.parsed, self.keys, self.markers, self.audio_marker, self.file_error)

    def write_manifest(self, *, only_if_finished: bool = False) -> dict[str, Any] | None:
        """Rebuild the manifest from the markers and store it. With ``only_if_finished`` (fan-out consumers),
        write only once every unit has a marker; returns None otherwise."""
        document: dict[str, Any] | None = None
        if only_if_finished and not self._all_listed():
            return None  # cheap check (one listing, no reads) before reading every marker
        for _ in range(_MANIFEST_ROUNDS):
            listed = self.load_markers() if self.parsed is not None else set()
            if only_if_finished and not self.finished():
                return None
            self.assemble()
            if self.audio_marker is not None:
                listed.add(self.keys.audio_marker)
            document = self.build_manifest()
            self.env.storage.put(self.keys.manifest, mf.dumps(document), mf.JSON_TYPE, self._meta)
            if self.parsed is None or self._marker_keys() <= listed:
                break
        if document is not None and document["status"] != "in_progress":
            announce(self.env.settings, self.source.key, document, self.keys.manifest)
        return document

    # -------------------------------------------------------------- stale outputs
    def expected_keys(self) -> set[str]:
        keep = {self.keys.manifest}
        if self.parsed is None:
            return keep
        for item in self.parsed.items:
            if item.error is not None:
                continue
            if self.parsed.kind == "jsonl":
                audio_key = self.keys.line_audio(item.line, item.options.fmt)
            else:
                audio_key = self.keys.audio(item.options.fmt)
            keep.add(audio_key)
            if item.options.marks:
                keep.add(OutputKeys.marks(audio_key))
        return keep

    def prune(self) -> list[str]:
        """Delete outputs of earlier uploads of this key (other ETags, lines or formats). Returns the keys."""
        keep = self.expected_keys()
        current = (self.keys.done_prefix, f"{self.keys.root}.parts/{self.keys.etag}/")
        stale = [
            k for k in self.env.storage.list(self.keys.root)
            if self.keys.owns(k) and k not in keep and not k.startswith(current)
        ]
        for key in stale:
            self.env.storage.delete(key)
        if stale:
            logger.info("pruned stale batch outputs", extra={"key": self.source.key, "count": len(stale)})
        return stale
