"""The fan-out consumer: run the units a message names, then write the manifest if the file is finished.

A consumer never enqueues anything: this module does not import the sender. Units already done are skipped, a
message for a replaced file (different ETag) is dropped, and units that do not fit in the time budget make the
message fail so SQS redelivers it (partial batch response) instead of being re-sent.
"""

from __future__ import annotations

from sambert_lambda.batch import manifest as mf
from sambert_lambda.batch.budget import Budget
from sambert_lambda.batch.fanout import FanoutMessage
from sambert_lambda.batch.jobs import ErrorInfo
from sambert_lambda.batch.layout import Layout
from sambert_lambda.batch.runner import Env, FileRun
from sambert_lambda.batch.upload import open_file
from sambert_lambda.errors import InvalidInput, TTSError
from sambert_lambda.observability import logger


class Deferred(TTSError, status=503, code="deferred"):
    """Units did not fit in this invocation's time budget; the message is retried."""


class FileCache:
    """Files opened during one invocation, by (key, etag)."""

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str], FileRun | None] = {}

    def open(self, env: Env, layout: Layout, msg: FanoutMessage) -> FileRun | None:
        ident = (msg.key, msg.etag)
        if ident not in self._runs:
            run = open_file(env, layout, msg.key, version_id=msg.version_id)
            self._runs[ident] = run if run is not None and run.source.etag == msg.etag else None
        return self._runs[ident]


def _check(env: Env, layout: Layout, msg: FanoutMessage) -> None:
    if msg.bucket != env.storage.bucket:
        raise InvalidInput(f"message names bucket {msg.bucket!r}, not this function's", code="invalid_message")
    if not layout.accepts(msg.key):
        raise InvalidInput("message names a key outside the input prefix", code="invalid_message")


def process_message(env: Env, layout: Layout, msg: FanoutMessage, budget: Budget, files: FileCache) -> str:
    """``done``, ``stale`` (the file changed or is gone) or raises (the message is retried)."""
    _check(env, layout, msg)
    run = files.open(env, layout, msg)
    if run is None or run.parsed is None:
        logger.info("fan-out message is stale", extra={"key": msg.key})
        return "stale"
    unknown = [u for u in msg.units if u not in run.parsed.units]
    if unknown:
        raise InvalidInput(f"message names units the file does not have: {unknown[:5]}", code="invalid_message")
    remaining = run.run_units(msg.units, budget)
    if remaining:
        raise Deferred(f"{len(remaining)} unit(s) did not fit in this invocation's time budget")
    run.write_manifest(only_if_finished=True)
    return "done"


def give_up(env: Env, layout: Layout, msg: FanoutMessage, error: ErrorInfo, files: FileCache) -> None:
    """Last receive: record the message's unfinished units as failed with the reason, so the manifest accounts
    for every line. Best effort: the message goes to the dead-letter queue whatever happens here."""
    try:
        _check(env, layout, msg)
        run = files.open(env, layout, msg)
        if run is None or run.parsed is None:
            return
        for index in msg.units:
            unit = run.parsed.units.get(index)
            if unit is None or run.is_done(index):
                continue
            marker = mf.Marker(index, unit.line, "failed", error=error)
            env.storage.put(run.keys.unit_marker(index), marker.to_bytes(), mf.JSON_TYPE,
                            {"source-etag": run.source.etag})
            run.markers[index] = marker
        run.write_manifest(only_if_finished=True)
    except Exception:  # noqa: BLE001 - best effort; the reason also travels with the dead letter
        logger.exception("could not record failed units", extra={"key": msg.key})


def describe(err: BaseException) -> ErrorInfo:
    if isinstance(err, TTSError):
        return ErrorInfo.of(err)
    return ErrorInfo("internal_error", f"{type(err).__name__}: {str(err)[:200]}")

