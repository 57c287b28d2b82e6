# syntax=docker/dockerfile:1
# sambert-lambda: AWS Lambda container image (awslambdaric), linux/amd64 and linux/arm64.
#
#   docker build --target runtime-onnx -t sambert-lambda .            # the torch-free ONNX image (the default)
#   docker build --target runtime -t sambert-lambda:torch .            # the torch image
#   docker build --target runtime-onnx-streaming -t sambert-lambda:stream .  # optional: + Lambda Web Adapter
#   docker build --target runtime-onnx --build-arg MODEL=test-voice -t sambert-lambda:test .  # offline: test voices
#   docker build --target runtime-onnx --build-arg VOICES=zhitian_emo ...   # bake one voice only (a smaller image)
#   docker build --target runtime-onnx --build-arg BASE_IMAGE=local/python:3.11-bookworm --build-arg PACKAGES=wheelhouse ...
#                                       # air-gapped: any bookworm base with Python 3.11, wheels from ./wheelhouse/
#   sam build                                                          # runtime-onnx (template.yaml Metadata)
#
# The torch image: deps (pinned lock into /opt/venv) -> model (bake, then move the model dir to /opt/model) -> runtime.
# The torch-free image: deps-onnx (requirements/lambda-onnx.txt, no torch) + onnx-export (the baked voices exported
# to ONNX with the torch venv of the model stage) -> runtime-onnx, the default (template.yaml's DockerBuildTarget).
# Optional, last: runtime-onnx-streaming = runtime-onnx + the AWS Lambda Web Adapter extension, with uvicorn serving
# the same app, for Function URLs in RESPONSE_STREAM mode. It is the only stage that pulls an image other than the
# base (the adapter's, WEB_ADAPTER_IMAGE), and the last one, so no other target ever builds it; being last, it is
# also what a `docker build` without --target makes.
# The legacy builder (no BuildKit) builds every stage up to its target, in file order: pip-base and deps-onnx come
# first, so `--target deps-onnx` needs no torch; `--target runtime` builds pip-base, deps-onnx, deps, model and
# runtime; BuildKit builds only what a target uses.
# Another architecture (e.g. linux/arm64 on an x86 build machine under qemu): BASE_IMAGE is that architecture's base
# and EXPORT_BASE_IMAGE the build machine's own. The stages that run torch at build time (deps, model, onnx-export)
# then run natively; what they hand to runtime-onnx (the ONNX files, the model's configs) is platform-independent,
# and only the torch-free venv (deps-onnx) is built for the target. On the target's own machine (Graviton,
# CodeBuild arm64) leave EXPORT_BASE_IMAGE unset: every stage is native there. The torch image (--target runtime)
# needs EXPORT_BASE_IMAGE equal to BASE_IMAGE, since its venv comes from deps.
# Package source: PACKAGES=index (default) installs from INDEX_URL (PyPI) and, for torch, TORCH_INDEX_URL (the
# PyTorch CPU index); PACKAGES=wheelhouse installs only from the build context's wheelhouse/ directory
# (pip download on a host that has the network; docs/deploy.md). Behind a TLS-intercepting proxy, pass
# HTTPS_PROXY and PIP_CERT (a CA file placed in wheelhouse/, e.g. /wheelhouse/proxy-ca.pem).
# Nothing needs BuildKit, and no stage but the optional last one pulls anything but BASE_IMAGE (with
# PACKAGES=wheelhouse, nothing at all).
# Nothing is written to the image at run time: HOME and every cache point at /tmp, the model dir is read-only.

# checkov:skip=CKV_DOCKER_2: Lambda never runs a container HEALTHCHECK; it probes the runtime API itself (init phase).
# checkov:skip=CKV_DOCKER_3: Lambda runs the image as its own non-root user whatever USER says; a USER line in the
#   runtime stages makes `sam build`/`sam local invoke` fail (SAM adds a layer that mv/chmod's its emulator there).
#   Run it as non-root yourself with `docker run --user 65534:65534` (scripts/image-test does).
# checkov:skip=CKV_DOCKER_7: every FROM names ${BASE_IMAGE}, which checkov cannot resolve; its default below is the
#   version tag python:3.11-slim-bookworm, never latest (tests/integration/infra/test_lock_onnx.py checks the default).
# Base: Debian bookworm with Python 3.11 (the project's torch pin has cp311 CPU wheels for amd64 and arm64). Every
# stage uses the same BASE_IMAGE; pin it by digest in your registry mirror for bit-for-bit rebuilds.
ARG BASE_IMAGE=python:3.11-slim-bookworm
# The base of the build-time torch stages (deps, model, onnx-export); see the cross-architecture note above.
ARG EXPORT_BASE_IMAGE=${BASE_IMAGE}
# The AWS Lambda Web Adapter's published image (multi-architecture), read only by the optional streaming stage.
ARG WEB_ADAPTER_IMAGE=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1

# ---------------------------------------------------------------------------------------------------- pip-base
# What both venv stages share: the base image and pip's configuration for the package source. No torch here.
FROM ${BASE_IMAGE} AS pip-base
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
ARG PIP_CERT
ARG PACKAGES=index
ARG INDEX_URL=https://pypi.org/simple
# pip's own configuration for the build stages only (the runtime stages start from a fresh base). An ARG ends with
# its stage, so PIP_CERT goes into pip.conf, which every build stage has (deps-onnx inherits it, deps copies it).
COPY wheelhouse/ /wheelhouse/
RUN { if [ "$PACKAGES" = wheelhouse ]; then printf '[global]\nno-index = true\nfind-links = /wheelhouse\n'; \
    elif [ "$PACKAGES" = index ]; then printf '[global]\nindex-url = %s\n' "$INDEX_URL"; \
    else echo "PACKAGES must be index or wheelhouse, got $PACKAGES" >&2; exit 1; fi; \
    if [ -n "$PIP_CERT" ]; then printf 'cert = %s\n' "$PIP_CERT"; fi; } > /etc/pip.conf

# ---------------------------------------------------------------------------------------------------- deps-onnx
# The torch-free venv: every pin from PyPI (onnxruntime instead of torch; none of what only torch pulls), minus
# numpy's own test suite (tools/image_size.py ONNX_TRIM_TESTS lists the same packages). The lock is complete (every
# package it needs is pinned in it), so it is installed with --no-deps: nothing outside it enters the image. The
# frontend cache is baked here, with the packages this venv holds (its key includes their files' mtimes).
# ONNXRUNTIME_VERSION (empty: the lock's pin) replaces the lock's onnxruntime pin; the arm64 check under Debian
# bookworm's qemu-aarch64 7.2 uses 1.23.2, since the pinned release crashes at import under that emulator (with
# --no-deps, 1.23.2's own requirements, sympy and coloredlogs, stay out: inference never imports them).
FROM pip-base AS deps-onnx
ARG ONNXRUNTIME_VERSION=""
WORKDIR /src
COPY requirements/lambda-onnx.txt requirements/lambda-onnx.txt
RUN if [ -n "$ONNXRUNTIME_VERSION" ]; then \
      sed -i "s/^onnxruntime==.*/onnxruntime==${ONNXRUNTIME_VERSION}/" requirements/lambda-onnx.txt; fi \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-deps -r requirements/lambda-onnx.txt \
 && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && find "$site"/numpy -type d -name tests -prune -exec rm -rf {} +
# AUDIO_EXTRAS=aac (the default here) adds PyAV (FFmpeg's AAC encoder; about 106 MB installed) so that
# response_format aac works; empty leaves it out (a smaller image), and aac is then refused, saying how to get it.
# AV_VERSION is within pyproject's aac extra.
ARG AUDIO_EXTRAS=aac
ARG AV_VERSION=18.1.0
RUN if [ -n "$AUDIO_EXTRAS" ]; then [ "$AUDIO_EXTRAS" = aac ] || { echo "AUDIO_EXTRAS must be empty or aac, got $AUDIO_EXTRAS" >&2; exit 1; }; /opt/venv/bin/pip install --no-cache-dir "av==${AV_VERSION}"; fi
COPY pyproject.toml README.md NOTICE ./
COPY function ./function
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . \
 && /opt/venv/bin/sambert-lambda frontend-cache --out /opt/frontend/sambert-frontend.cache
# What the function never loads, dropped last (tools/image_size.py ONNX_UNUSED and BOTOCORE_SERVICES list the
# same): jieba's paddle mode and keyword extraction; botocore's models of every service but those it calls (S3, SQS,
# SNS) and STS (web-identity credentials); pip and setuptools, which nothing runs after this stage.
RUN site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && rm -rf "$site"/jieba/lac_small "$site"/jieba/analyse \
 && find "$site"/botocore/data -mindepth 1 -maxdepth 1 -type d ! -name s3 ! -name sqs ! -name sns ! -name sts -exec rm -rf {} + \
 && /opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools

# ---------------------------------------------------------------------------------------------------- deps
# On EXPORT_BASE_IMAGE (BASE_IMAGE unless building for another architecture), with pip-base's configuration.
FROM ${EXPORT_BASE_IMAGE} AS deps
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
COPY --from=pip-base /etc/pip.conf /etc/pip.conf
COPY --from=pip-base /wheelhouse/ /wheelhouse/
WORKDIR /src
COPY requirements/lambda.txt requirements/lambda.txt
# torch from the CPU-only index first (no CUDA); same pin on amd64 and arm64. Then the full lock, which pins
# torch to the same version and so installs nothing more for it. With PACKAGES=wheelhouse pip.conf's no-index makes
# pip ignore both index URLs and take everything from /wheelhouse. Last, drop what only builds or tests torch
# (C++ headers, test binaries, protoc: ~110 MB); tools/image_size.py TRIM lists the same paths.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --index-url "$TORCH_INDEX_URL" \
      "$(grep -E '^torch==' requirements/lambda.txt)" \
 && /opt/venv/bin/pip install --no-cache-dir --extra-index-url "$TORCH_INDEX_URL" \
      -r requirements/lambda.txt \
 && site="$(/opt/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && rm -rf "$site"/torch/include "$site"/torch/bin/test_* "$site"/torch/bin/*Test "$site"/torch/bin/protoc*
# AUDIO_EXTRAS=aac adds PyAV (FFmpeg's AAC encoder; about 106 MB installed) so that response_format aac works.
# Empty is the default of this image (with PyAV it would be over its 1,100 MB budget): aac is then refused, saying
# how to get it. AV_VERSION is within pyproject's aac extra.
ARG AUDIO_EXTRAS=""
ARG AV_VERSION=18.1.0
RUN if [ -n "$AUDIO_EXTRAS" ]; then [ "$AUDIO_EXTRAS" = aac ] || { echo "AUDIO_EXTRAS must be empty or aac, got $AUDIO_EXTRAS" >&2; exit 1; }; /opt/venv/bin/pip install --no-cache-dir "av==${AV_VERSION}"; fi
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
# VOICES: space-separated voice names to bake (e.g. "zhitian_emo"); empty bakes every voice of the model. The others
# are removed from the model dir and from its voices.json, so the image carries only the chosen ones.
ARG VOICES=""
RUN if [ "$MODEL" = "test-voice" ]; then \
      /opt/venv/bin/sambert-lambda bake-model --cache /opt/cache --test-voice ${VOICES:+--voices $VOICES} --load ; \
    else \
      /opt/venv/bin/pip install --no-cache-dir "modelscope==${MODELSCOPE_VERSION}" \
      && /opt/venv/bin/sambert-lambda bake-model --cache /opt/cache --model-id "$MODEL" --revision "$MODEL_REVISION" ${VOICES:+--voices $VOICES} --load ; \
    fi \
 && voices_json="$(find /opt/cache -path '*/voices/voices.json' | head -n 1)" \
 && mv "$(dirname "$(dirname "$voices_json")")" /opt/model \
 && if [ -n "$VOICES" ]; then /opt/venv/bin/python -c 'import json, shutil, sys; from pathlib import Path; \
      keep = sys.argv[1].split(); d = Path("/opt/model/voices"); \
      [shutil.rmtree(p) for p in d.iterdir() if p.is_dir() and p.name not in keep]; \
      meta = json.loads((d / "voices.json").read_text()); meta["voices"] = [v for v in meta["voices"] if v in keep]; \
      (d / "voices.json").write_text(json.dumps(meta))' "$VOICES"; fi \
 && chmod -R a+rX,go-w /opt/model

# ---------------------------------------------------------------------------------------------------- runtime
# docker build --target runtime: the torch engine (TTS_BACKEND=torch).
FROM ${BASE_IMAGE} AS runtime
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
    TTS_FRONTEND_CACHE=/opt/frontend/sambert-frontend.cache \
    TTS_BACKEND=torch \
    TTS_MODEL_DIR=/opt/model \
    TTS_MODEL_ID=${MODEL} \
    TTS_MODEL_REVISION=${MODEL_REVISION}
WORKDIR /var/task
# No USER line (see CKV_DOCKER_3 above): Lambda runs the image as a non-root user of its own; the code and the model
# are read-only to it and every write goes to /tmp. `docker run --user 65534:65534` behaves the same.
ENTRYPOINT ["python", "-m", "awslambdaric"]
CMD ["sambert_lambda.handler.handler"]

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
# The image sam build makes (template.yaml's DockerBuildTarget): the same function on ONNX Runtime + numpy
# (TTS_BACKEND=onnx), no torch.
FROM ${BASE_IMAGE} AS runtime-onnx
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
    TTS_FRONTEND_CACHE=/opt/frontend/sambert-frontend.cache \
    TTS_BACKEND=onnx \
    TTS_ONNX_DIR=/opt/onnx \
    TTS_MODEL_DIR=/opt/model \
    TTS_MODEL_ID=${MODEL} \
    TTS_MODEL_REVISION=${MODEL_REVISION}
WORKDIR /var/task
ENTRYPOINT ["python", "-m", "awslambdaric"]
CMD ["sambert_lambda.handler.handler"]

# ---------------------------------------------------------------------------------------- runtime-onnx-streaming
# Optional: Function URLs in RESPONSE_STREAM mode (template parameter FunctionUrlInvokeMode). The Lambda Web Adapter
# runs as an extension from /opt/extensions; it starts nothing itself: the image's command runs `sambert-lambda
# serve` (uvicorn on 127.0.0.1:8080), the adapter waits for /healthz, then turns each Function URL event into an HTTP
# request and streams the response back. Non-HTTP events (S3, SQS, direct invokes) reach the app as a POST to
# the adapter's pass-through path, which the app does not serve: batch work needs a buffered function of the
# runtime-onnx image (docs/http-api.md, Streaming).
FROM ${WEB_ADAPTER_IMAGE} AS web-adapter

FROM runtime-onnx AS runtime-onnx-streaming
COPY --from=web-adapter /lambda-adapter /opt/extensions/lambda-adapter
ENV AWS_LWA_HOST=127.0.0.1 \
    AWS_LWA_PORT=8080 \
    AWS_LWA_READINESS_CHECK_PATH=/healthz \
    AWS_LWA_INVOKE_MODE=response_stream
ENTRYPOINT ["python", "-m", "sambert_lambda", "serve", "--port", "8080"]
CMD []
