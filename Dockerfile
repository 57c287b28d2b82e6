# syntax=docker/dockerfile:1
# sambert-lambda: AWS Lambda container image (awslambdaric), linux/amd64 and linux/arm64.
#
#   docker buildx build --platform linux/arm64 -t sambert-lambda .                 # real model (needs ModelScope)
#   docker build --build-arg MODEL=test-voice -t sambert-lambda:test .             # offline: random-weight voice
#   sam build                                                                      # uses this file (template.yaml)
#   docker build --target runtime-onnx -t sambert-lambda:onnx .                    # torch-free ONNX engine image
#
# Stages: deps (pinned lock into /opt/venv) -> model (bake, then move the model dir to /opt/model) -> runtime.
# The torch-free target: deps-onnx (requirements/lambda-onnx.txt, no torch) + onnx-export (the baked voices exported
# to ONNX with the torch venv of the model stage) -> runtime-onnx. `runtime` stays the last stage, so a build without
# --target (and sam build) still makes the torch image; BuildKit skips the onnx stages then.
# Nothing is written to the image at run time: HOME and every cache point at /tmp, the model dir is read-only.

# checkov:skip=CKV_DOCKER_2: Lambda never runs a container HEALTHCHECK; it probes the runtime API itself (init phase).
# Base: Debian slim with Python 3.11 (the project's torch pin has cp311 CPU wheels for amd64 and arm64). Both stages
# use the same tag; pin it by digest in your registry mirror for bit-for-bit rebuilds.

# ---------------------------------------------------------------------------------------------------- deps
FROM python:3.11-slim-bookworm AS deps
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements/lambda.txt requirements/lambda.txt
# torch from the CPU-only index first (no CUDA); same pin on amd64 and arm64. Then the full lock, which pins
# torch to the same version and so installs nothing more for it. Last, drop what only builds or tests torch
# (C++ headers, test binaries, protoc: ~110 MB); infra/image_size.py TRIM lists the same paths.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu \
      "$(grep -E '^torch==' requirements/lambda.txt)" \
 && /opt/venv/bin/pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu \
      -r requirements/lambda.txt \
 && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && rm -rf "$site"/torch/include "$site"/torch/bin/test_* "$site"/torch/bin/*Test "$site"/torch/bin/protoc*
COPY pyproject.toml README.md NOTICE ./
COPY function ./function
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . \
 && /opt/venv/bin/sambert-lambda frontend-cache --out /opt/frontend/sambert-frontend.cache

# ---------------------------------------------------------------------------------------------------- model
FROM deps AS model
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# MODEL=test-voice bakes the generated random-weight voice (offline builds, CI-like smoke runs). A real model id
# downloads from ModelScope with modelscope, which is installed in this stage only and never reaches the runtime.
ARG MODEL=iic/speech_sambert-hifigan_tts_zh-cn_16k
# Pin a revision (a tag or commit of the ModelScope repo) for reproducible images; "master" follows the latest.
ARG MODEL_REVISION=master
ARG MODELSCOPE_VERSION=1.40.2
RUN if [ "$MODEL" = "test-voice" ]; then \
      /opt/venv/bin/sambert-lambda bake-model --cache /opt/cache --test-voice --load ; \
    else \
      /opt/venv/bin/pip install --no-cache-dir "modelscope==${MODELSCOPE_VERSION}" \
      && /opt/venv/bin/sambert-lambda bake-model --cache /opt/cache --model-id "$MODEL" --revision "$MODEL_REVISION" --load ; \
    fi \
 && voices_json="$(find /opt/cache -path '*/voices/voices.json' | head -n 1)" \
 && mv "$(dirname "$(dirname "$voices_json")")" /opt/model \
 && chmod -R a+rX,go-w /opt/model

# ---------------------------------------------------------------------------------------------------- deps-onnx
# The torch-free venv: every pin from PyPI (onnxruntime instead of torch; none of what only torch pulls), minus
# numpy's and scipy's own test suites (~49 MB; infra/image_size.py ONNX_TRIM_TESTS lists the same packages). The
# frontend cache is baked here, with the packages this venv holds (its key includes their files' mtimes).
FROM python:3.11-slim-bookworm AS deps-onnx
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY requirements/lambda-onnx.txt requirements/lambda-onnx.txt
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir -r requirements/lambda-onnx.txt \
 && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && find "$site"/numpy "$site"/scipy -type d -name tests -prune -exec rm -rf {} +
COPY pyproject.toml README.md NOTICE ./
COPY function ./function
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . \
 && /opt/venv/bin/sambert-lambda frontend-cache --out /opt/frontend/sambert-frontend.cache

# ---------------------------------------------------------------------------------------------------- onnx-export
# Bake time only: export every baked voice to ONNX (/opt/onnx/<voice>/) with the model stage's venv, which has torch;
# onnx is installed here and never reaches a runtime. /opt/model-onnx is the model dir without the torch
# checkpoints (voices/*/am/ckpt, voices/*/voc/ckpt): the ONNX engine reads only the configs from it.
FROM model AS onnx-export
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG ONNX_VERSION=1.23.2
RUN /opt/venv/bin/pip install --no-cache-dir "onnx==${ONNX_VERSION}" \
 && /opt/venv/bin/sambert-lambda export-onnx /opt/model /opt/onnx \
 && cp -a /opt/model /opt/model-onnx \
 && find /opt/model-onnx/voices -mindepth 3 -maxdepth 3 -type d -name ckpt -exec rm -rf {} + \
 && chmod -R a+rX,go-w /opt/onnx /opt/model-onnx

# ---------------------------------------------------------------------------------------------------- runtime-onnx
# docker build --target runtime-onnx: the same function on ONNX Runtime + numpy (TTS_BACKEND=onnx), no torch.
FROM python:3.11-slim-bookworm AS runtime-onnx
ARG MODEL=iic/speech_sambert-hifigan_tts_zh-cn_16k
ARG MODEL_REVISION=master
COPY --from=deps-onnx /opt/venv /opt/venv
COPY --from=deps-onnx /opt/frontend /opt/frontend
COPY --from=onnx-export /opt/model-onnx /opt/model
COPY --from=onnx-export /opt/onnx /opt/onnx
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    TMPDIR=/tmp \
    SAMBERT_FRONTEND_CACHE=/opt/frontend/sambert-frontend.cache \
    TTS_BACKEND=onnx \
    TTS_ONNX_DIR=/opt/onnx \
    TTS_MODEL_DIR=/opt/model \
    TTS_MODEL_ID=${MODEL} \
    TTS_MODEL_REVISION=${MODEL_REVISION}
WORKDIR /var/task
USER 65534:65534
ENTRYPOINT ["python", "-m", "awslambdaric"]
CMD ["sambert_lambda.handler.handler"]

# ---------------------------------------------------------------------------------------------------- runtime
FROM python:3.11-slim-bookworm AS runtime
ARG MODEL=iic/speech_sambert-hifigan_tts_zh-cn_16k
ARG MODEL_REVISION=master
COPY --from=deps /opt/venv /opt/venv
# The frontend's dictionary cache, baked with the same Python and packages (cuts cold-start CPU; read-only). Its key
# includes the dictionaries' mtimes, which COPY --from keeps; a cache that does not match is ignored, not fatal.
COPY --from=deps /opt/frontend /opt/frontend
COPY --from=model /opt/model /opt/model
# The baked model is a plain directory (TTS_MODEL_DIR); TTS_MODEL_ID/REVISION name it in responses and cache keys.
# With MODEL=test-voice the id says so, and /healthz and /v1/voices flag the voice as a test voice.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    TMPDIR=/tmp \
    TORCHINDUCTOR_CACHE_DIR=/tmp/.cache/torchinductor \
    SAMBERT_FRONTEND_CACHE=/opt/frontend/sambert-frontend.cache \
    TTS_MODEL_DIR=/opt/model \
    TTS_MODEL_ID=${MODEL} \
    TTS_MODEL_REVISION=${MODEL_REVISION}
WORKDIR /var/task
# Lambda runs the image as its own non-root user whatever USER says; running as nobody here makes `docker run`
# behave the same (read-only code and model, writes only to /tmp) instead of silently working as root.
USER 65534:65534
ENTRYPOINT ["python", "-m", "awslambdaric"]
CMD ["sambert_lambda.handler.handler"]
