"""``/v1/jobs``: long-form synthesis jobs, run by the batch path (batch/tasks.py)."""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends, Request

from sambert_lambda.api.auth import require_api_key
from sambert_lambda.api.errors import error_responses
from sambert_lambda.api.routes import JsonBody, Service
from sambert_lambda.api.schemas import JobCreated, JobStatus
from sambert_lambda.observability import logger
from sambert_lambda.request import (
    FIELDS,
    Spec,
    check_body,
    check_field,
    check_unicode,
    decide_ssml,
    normalize_text,
    schema_properties,
)

router = APIRouter()
JOB_MAX_BODY_BYTES = 2 * 1024 * 1024  # 200,000 characters of JSON-escaped text fit
JOB_MAX_CHARS = 200_000
# The fields of a job, read by the same strict checks as /v1/tts (types, ranges, any-case format, messages).
JOB_FIELDS: dict[str, Spec] = {
    "text": Spec(
        "str",
        max_length=JOB_MAX_CHARS,
        description="Text or SSML (detected when it starts with <speak), at most 200,000 characters; SSML over "
        "TTS_MAX_CHARS is cut into standalone SSML parts that reopen the elements open at each cut. Give text or "
        "input_key.",
    ),
    "input_key": Spec(
        "str",
        max_length=1024,
        description="Instead of text: the key of a .txt or .ssml object under "
        "TTS_INPUT_PREFIX in the bucket.",
    ),
    "ssml": FIELDS["ssml"],
    "voice": FIELDS["voice"],
    "emotion": FIELDS["emotion"],
    "format": Spec(
        "str", "mp3", choices=FIELDS["format"].choices, nullable=False, description="Audio format."
    ),
    "speed": FIELDS["speed"],
    "speech_marks": Spec(
        "list",
        None,
        choices=FIELDS["speech_marks"].choices,
        max_length=FIELDS["speech_marks"].max_length,
        description="Speech mark types to store beside the audio as JSON Lines (speech_marks_url).",
    ),
}


def job_request(data: Any) -> dict[str, Any]:
    """The checked fields of a ``POST /v1/jobs`` body, with defaults; SSML detected in ``text`` as elsewhere."""
    check_body(data, JOB_FIELDS)
    values = {name: check_field(name, data[name], spec) for name, spec in JOB_FIELDS.items() if name in data}
    job = {name: spec.default for name, spec in JOB_FIELDS.items()} | values
    for name in ("text", "input_key"):
        if isinstance(job[name], str):
            check_unicode(name, job[name])
    if job["text"] is not None and job["text"].strip():
        job["ssml"] = decide_ssml(normalize_text(job["text"]), job["ssml"])
    job["ssml"] = bool(job["ssml"])
    return job


def _job_schema() -> dict[str, Any]:
    schema = {
        "title": "JobRequest",
        "type": "object",
        "properties": schema_properties(JOB_FIELDS),
        "additionalProperties": False,
        "examples": [{"text": "很长的文章……", "format": "mp3"}],
    }
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _batch(service):
    from sambert_lambda.batch.handlers import batch_env

    return batch_env(service)


@router.post(
    "/v1/jobs",
    status_code=202,
    response_model=JobCreated,
    summary="Start a long-form synthesis job (text or SSML up to 200,000 characters, or an input object)",
    responses=error_responses(400, 401, 404, 413, 422, 500, 503),
    dependencies=[Depends(require_api_key)],
    openapi_extra=_job_schema(),
)
def create_job(body: JsonBody, service: Service, request: Request) -> dict:
    from sambert_lambda.batch import tasks

    fields = job_request(body)
    env, layout = _batch(service)
    voice = service.check_voice(fields["voice"], fields["emotion"])  # the text is checked next
    job = tasks.create(env, layout, text=fields["text"], input_object=fields["input_key"], ssml=fields["ssml"],
                       voice=voice, emotion=fields["emotion"], fmt=fields["format"], speed=fields["speed"],
                       speech_marks=fields["speech_marks"] or ())  # fmt: skip
    logger.info("job created", extra={"job": job["id"], "input_key": job["input_key"]})
    if getattr(request.app.state, "jobs_in_process", False):  # sambert-lambda serve: no S3 notification here
        threading.Thread(target=_run, args=(env, layout, job["input_key"]), name=f"job-{job['id'][:8]}",
                         daemon=True).start()  # fmt: skip
    return {"id": job["id"], "status": job["status"]}


def _run(env, layout, key: str) -> None:
    from sambert_lambda.batch.budget import Budget
    from sambert_lambda.batch.upload import process_upload
    from sambert_lambda.errors import TTSError

    try:
        process_upload(env, layout, key, Budget())
    except TTSError as e:  # the manifest records the file's failure; nothing to answer here
        logger.warning("job failed", extra={"key": key, "code": e.code})


@router.get(
    "/v1/jobs/{job_id}",
    response_model=JobStatus,
    response_model_exclude_none=True,
    summary="A job's status, progress and, once complete, presigned URLs of its audio and manifest",
    responses=error_responses(401, 404, 500, 503),
    dependencies=[Depends(require_api_key)],
)
def get_job(job_id: str, service: Service) -> dict:
    from sambert_lambda.batch import tasks

    env, layout = _batch(service)
    return tasks.status(env, layout, job_id)
