"""``/v1/jobs``: long-form synthesis jobs, run by the batch path (batch/tasks.py)."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Depends, Request

from sambert_lambda.api.auth import require_api_key
from sambert_lambda.api.errors import error_responses
from sambert_lambda.api.routes import Service
from sambert_lambda.api.schemas import JobCreated, JobRequest, JobStatus
from sambert_lambda.observability import logger

router = APIRouter()
JOB_MAX_BODY_BYTES = 2 * 1024 * 1024  # 200,000 characters of JSON-escaped text fit


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
)
def create_job(body: JobRequest, service: Service, request: Request) -> dict:
    from sambert_lambda.batch import tasks

    env, layout = _batch(service)
    voice = service.check_voice(body.voice, body.emotion)  # the text is checked next
    job = tasks.create(env, layout, text=body.text, input_object=body.input_key, ssml=body.ssml, voice=voice,
                       emotion=body.emotion, fmt=body.format, speed=body.speed,
                       speech_marks=tuple(dict.fromkeys(body.speech_marks or ())))  # fmt: skip
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
