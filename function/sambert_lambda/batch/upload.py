"""The S3-triggered path: one uploaded file -> audio objects, done markers and a manifest.

Work runs in file order until the time budget says stop; everything not started is then sent, in one hop, to the
fan-out queue (``TTS_QUEUE_URL``), after an in-progress manifest is written. Without a queue the invocation
fails after writing that manifest, so the event is retried and resumes from the markers.
"""

from __future__ import annotations

from typing import Any

from sambert_lambda.batch import fanout
from sambert_lambda.batch.budget import Budget
from sambert_lambda.batch.jobs import ErrorInfo, FileError, check_size, kind_of, parse_file
from sambert_lambda.batch.layout import Layout
from sambert_lambda.batch.runner import Env, FileRun, Progress
from sambert_lambda.batch.source import read_source
from sambert_lambda.errors import TTSError
from sambert_lambda.observability import logger


class BatchIncomplete(TTSError, status=503, code="batch_incomplete"):
    """Items did not fit in this invocation and there is no queue to fan them out to; a retry resumes."""


def open_file(env: Env, layout: Layout, key: str, *, version_id: str | None = None) -> FileRun | None:
    """Read, check and parse the current version of ``key``; None when it no longer exists."""
    s = env.settings
    source = read_source(env.storage, key, max_bytes=s.max_input_bytes, version_id=version_id)
    if source is None:
        return None
    keys = layout.outputs(key, source.etag)
    try:
        kind_of(key)
        if source.data is None:
            check_size(source.size, s.max_input_bytes)
            raise FileError("file could not be read", code="too_large", status=413)
        parsed = parse_file(
            key, source.data, source.metadata, max_bytes=s.max_input_bytes, chunk_chars=min(
                s.batch_chunk_chars, s.max_chars), max_txt_chars=s.batch_max_txt_chars,
            default_fmt=s.batch_default_format,
        )
    except FileError as e:
        return FileRun(env, source, keys, None, ErrorInfo.of(e))
    return FileRun(env, source, keys, parsed)


def summary(run: FileRun, manifest: dict[str, Any] | None, status: str | None = None) -> dict[str, Any]:
    doc = manifest or run.build_manifest()
    return {"key": run.source.key, "etag": run.source.etag, "manifest": run.keys.manifest,
            "status": status or doc["status"], **doc["summary"]}


def process_upload(env: Env, layout: Layout, key: str, budget: Budget, *, version_id: str | None = None,
                   progress: Progress | None = None) -> dict[str, Any]:
    run = open_file(env, layout, key, version_id=version_id)
    if run is None:
        logger.info("batch input no longer exists", extra={"key": key})
        return {"key": key, "status": "missing"}
    run.prune()
    if run.parsed is None:
        return summary(run, run.write_manifest())
    run.load_markers()
    pending = [u for u in run.parsed.units if u not in run.markers]
    if progress is not None:
        progress.reset(total=len(pending))
    remaining = run.run_units(pending, budget, progress)
    if not remaining:
        return summary(run, run.write_manifest())
    manifest = run.write_manifest()  # consistent: done items listed, the rest pending
    queue_url = env.settings.queue_url
    if not queue_url:
        raise BatchIncomplete(
            f"{len(remaining)} item(s) of {key} did not fit in this invocation and TTS_QUEUE_URL is not set; "
            "a retry resumes from the done markers"
        )
    messages = fanout.messages_for(env.storage.bucket, key, run.source.etag, run.source.version_id, remaining,
                                   env.settings.batch_units_per_message)
    fanout.send(queue_url, messages)
    logger.info("batch fanned out", extra={"key": key, "units": len(remaining), "messages": len(messages)})
    return {**summary(run, manifest, "fanned_out"), "enqueued_units": len(remaining), "messages": len(messages)}
