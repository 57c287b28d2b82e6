"""Build the Lambda images for real and run them: ``sam build``, ``sam local invoke``, LocalStack, one JSON report.

``scripts/image-test`` (root, fresh machine) installs docker.io/debootstrap when missing and runs this module:

1. starts a dockerd of its own (:class:`infra.docker_engine.Engine`, state under ``var/image-test/``);
2. makes the bookworm + Python 3.11 base with debootstrap when it is missing (the official image cannot be
   pulled here), keyed by its recipe;
3. fills a wheelhouse on the host from the locks and builds ``runtime-onnx`` (the template's target) and ``runtime``
   (torch) with ``MODEL=test-voice`` and one voice baked (``VOICES``), then again with every voice
   (``all_voices_mb``);
4. starts LocalStack (S3 + SQS, signature validation on) on 127.0.0.1 and on the engine's bridge address only;
5. runs ``sam build`` on the project's ``template.yaml`` (a copy whose only changes are the build arguments and the
   endpoint variable that points the function at LocalStack) and ``sam local invoke`` with the generated events
   of ``tests/events/``: the Function URL ``POST /v1/tts`` (its presigned URL fetched and decoded, a tampered one
   refused), ``/v1/audio/speech``, ``/healthz``, an S3 put on ``input/`` (the notification LocalStack emitted; the
   manifest read back), a direct invoke and bad input (4xx JSON);
6. runs each image under the Lambda Runtime Interface Emulator (SAM's own binary, mounted read-only) as the
   non-root user 65534: container start to first response, the function's ``init_seconds``, warm synthesis time
   and the container's peak memory from its cgroup;
7. unless ``--no-arm64``: builds the ``runtime-onnx`` image for arm64 under qemu emulation (onnxruntime 1.23.2;
   the build-time torch stages on the native base via ``EXPORT_BASE_IMAGE``) and synthesizes once through the RIE
   in it with the voice it baked (``arm64.ok``).

The last line printed is the JSON report (also written to ``var/image-test/report.json``). Exit status 0 when every
check passed. Emulated (arm64) timings, if any, are never reported as arm64 performance.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from infra.docker_engine import (
    EMULATION_ONNXRUNTIME,
    Engine,
    EngineError,
    EngineUnavailable,
    arch_name,
    binfmt_aarch64,
    ensure_base,
    fill_wheelhouse,
    stage_wheelhouse,
)
from infra.rie import free_port
from tools.image_size import DOCKER_MB, docker_sizes

REPO = Path(__file__).resolve().parent.parent
WORK = REPO / "var" / "image-test"
FUNCTION = "TtsFunction"
VOICE = "zhitian_emo"
TARGETS = {"runtime-onnx": "sambert-lambda:onnx", "runtime": "sambert-lambda:torch"}
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
TEXT = "你好，欢迎使用语音合成服务。"
ARM64_NOT_RUN = "skipped (--no-arm64)"
ARM64_TAG = "sambert-lambda:onnx-arm64"
# The optional image for RESPONSE_STREAM Function URLs (template parameter FunctionUrlInvokeMode): not built, and said
# so in the report (images.web_adapter) rather than left out.
WEB_ADAPTER_SKIPPED = (
    "not built: the Dockerfile's optional last stage runtime-onnx-streaming adds the Lambda Web Adapter from its "
    "public image (WEB_ADAPTER_IMAGE, public.ecr.aws/awsguru/aws-lambda-adapter), which cannot be pulled here, so "
    "RESPONSE_STREAM deployments are neither built nor run (docs/http-api.md, Streaming)")


def log(msg: str) -> None:
    print(f"image-test: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------- events


def _events_module():
    # events built from the `sam local generate-event` payloads in tests/events/
    from tests.support import events

    return events


def invoke_cases() -> dict[str, tuple[dict, int]]:
    """case -> (event, expected status). Direct invokes have no HTTP status: 200 stands for a result without
    ``error``, 400 for an ``error`` with that status."""
    ev = _events_module()
    return {
        "function_url_tts": (ev.load("function-url-tts.json"), 200),
        "function_url_speech": (
            ev.function_url_event("POST", "/v1/audio/speech",
                                  {"input": TEXT, "voice": VOICE, "response_format": "wav"}), 200),
        "function_url_healthz": (ev.load("function-url-healthz.json"), 200),
        "direct_invoke": (ev.load("direct-invoke.json"), 200),
        "bad_input": (ev.function_url_event("POST", "/v1/tts", {"text": "你好", "emotion": "bored"}), 400),
        "direct_bad_input": ({"text": ""}, 400),
    }


def status_of(result: Any) -> int | None:
    """The HTTP status of a Function URL result, or the implied one of a direct invoke."""
    if not isinstance(result, dict):
        return None
    if "statusCode" in result:
        return int(result["statusCode"])
    if "error" in result:
        return int(result.get("status") or 500)
    return 200


def body_of(result: dict) -> bytes:
    raw = result.get("body") or ""
    return base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()


def http_get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 (LocalStack on our own bridge)
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def decode_audio(data: bytes) -> dict[str, Any]:
    import soundfile as sf

    samples, rate = sf.read(io.BytesIO(data), dtype="float32")
    return {"sample_rate": int(rate), "frames": len(samples), "seconds": round(len(samples) / rate, 3),
            "peak": round(float(abs(samples).max()) if len(samples) else 0.0, 4)}


def aac_check(result: dict) -> dict[str, Any]:
    """``/v1/audio/speech`` with ``response_format: aac``: the status, and either the ADTS stream decoded (PyAV of
    the dev venv) or the error code of an image built without PyAV."""
    status = status_of(result)
    body = body_of(result)
    headers = {str(k).lower(): v for k, v in (result.get("headers") or {}).items()}
    out: dict[str, Any] = {"status": status, "content_type": headers.get("content-type")}
    if status != 200:
        with contextlib.suppress(ValueError, AttributeError):
            out["code"] = json.loads(body)["error"]["code"]
        return out
    from sambert_lambda.audio import decode

    out["adts_sync"] = len(body) > 7 and body[0] == 0xFF and body[1] & 0xF6 == 0xF0
    samples, rate = decode(body, "aac")
    out["audio"] = {"sample_rate": rate, "frames": int(samples.size), "peak": round(float(abs(samples).max()), 4)}
    return out


def check_result(case: str, result: Any, expected: int) -> dict[str, Any]:
    """Status and the case's own evidence: decoded audio, the error code, the health document."""
    status = status_of(result)
    out: dict[str, Any] = {"status": status, "expected": expected, "ok": status == expected}
    if not isinstance(result, dict):
        out.update(ok=False, result=str(result)[:500])
        return out
    try:
        if case in ("function_url_tts", "direct_invoke") and out["ok"]:
            doc = json.loads(body_of(result)) if "statusCode" in result else result
            st, data = http_get(doc["url"])
            out["presigned_get"] = st
            out["audio"] = decode_audio(data) if st == 200 else None
            url = doc["url"]
            at = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
            out["tampered_get"] = http_get(url[:at] + ("0" if url[at] != "0" else "1") + url[at + 1:])[0]
            out["test_voice"] = doc.get("test_voice")
            out["ok"] = st == 200 and out["audio"]["frames"] > 0 and out["tampered_get"] == 403
        elif case == "function_url_speech" and out["ok"]:
            out["audio"] = decode_audio(body_of(result))
            out["ok"] = out["audio"]["frames"] > 0
        elif case == "function_url_healthz" and out["ok"]:
            doc = json.loads(body_of(result))
            out.update(init_seconds=doc.get("init_seconds"), model_loaded=doc.get("model_loaded"),
                       test_voice=doc.get("test_voice"), model=doc.get("model"))
            out["ok"] = doc.get("status") == "ok" and doc.get("model_loaded") is True
        elif case in ("bad_input", "direct_bad_input"):
            doc = json.loads(body_of(result)) if "statusCode" in result else result
            out["code"] = (doc.get("error") or {}).get("code")
            out["ok"] = out["ok"] and bool(out["code"])
    except Exception as e:  # noqa: BLE001 (recorded in the report as the case's failure)
        out.update(ok=False, check_error=f"{type(e).__name__}: {e}")
    return out


# --------------------------------------------------------------------------------------------- LocalStack


class LocalStackServer:
    """A LocalStack of this run, host mode, on 127.0.0.1 and the engine's bridge address (never 0.0.0.0)."""

    def __init__(self, hosts: list[str], port: int, work: Path) -> None:
        self.hosts, self.port, self.work = hosts, port, work
        self.proc: subprocess.Popen | None = None
        self.endpoint = f"http://{hosts[-1]}:{port}"

    def __enter__(self) -> LocalStackServer:
        from infra import localstack

        py = localstack.ensure_venv()
        self.work.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
        env.update(localstack.SERVER_ENV)
        env["GATEWAY_LISTEN"] = ",".join(f"{h}:{self.port}" for h in self.hosts)
        env["LOCALSTACK_HOST"] = f"{self.hosts[-1]}:{self.port}"
        with (self.work / "localstack.log").open("ab") as fh:
            self.proc = subprocess.Popen([str(py), "-m", "localstack.runtime.main"], env=env,  # noqa: S603
                                         cwd=str(self.work), stdout=fh, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EngineError(f"LocalStack exited with {self.proc.returncode}; see {self.work}/localstack.log")
            if localstack.is_healthy(self.endpoint):
                return self
            time.sleep(0.5)
        self.__exit__()
        raise EngineError("LocalStack not healthy after 120 s")

    def listening(self) -> list[str]:
        """host:port of every TCP socket the server's processes listen on."""
        import psutil

        procs = [psutil.Process(self.proc.pid)]
        procs += procs[0].children(recursive=True)
        out = set()
        for pr in procs:
            with contextlib.suppress(psutil.Error):
                for c in pr.net_connections(kind="inet"):
                    if c.status == psutil.CONN_LISTEN:
                        out.add(f"{c.laddr.ip}:{c.laddr.port}")
        return sorted(out)

    def __exit__(self, *exc: object) -> None:
        from infra import localstack

        if self.proc is not None:
            localstack._terminate(self.proc.pid)  # our own process group, by its PID
            self.proc = None


# --------------------------------------------------------------------------------------------- build


def build_args(base: str, voices: str) -> dict[str, str]:
    return {"BASE_IMAGE": base, "PACKAGES": "wheelhouse", "MODEL": "test-voice", "VOICES": voices}


def build(engine: Engine, target: str, tag: str, args: dict[str, str], logs: Path) -> float:
    t0 = time.monotonic()
    cmd = ["build", "--target", target, "-t", tag]
    for k, v in args.items():
        cmd += ["--build-arg", f"{k}={v}"]
    engine.run(*cmd, str(REPO), log=logs / f"build-{tag.replace(':', '-')}.log")
    return round(time.monotonic() - t0, 1)


# --------------------------------------------------------------------------------------------- SAM


def sam_env(work: Path) -> dict[str, str]:
    """Environment for the sam CLI: our engine, no telemetry, no version check against PyPI."""
    home = work / "sam-home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "metadata.json").write_text(json.dumps({"telemetryEnabled": False, "lastVersionCheck": time.time()}))
    return {"SAM_CLI_TELEMETRY": "0", "__SAM_CLI_APP_DIR": str(home), "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


def derived_template(args: dict[str, str], out: Path) -> Path:
    """The project's template.yaml with the image's build arguments replaced, the build context made absolute and
    ``AWS_ENDPOINT_URL`` declared (sam local passes only declared variables from ``--env-vars``)."""
    text = (REPO / "template.yaml").read_text()
    m = re.search(r"^( +)DockerBuildArgs:\n((?:\1 +\S.*\n)+)", text, re.M)
    if not m:
        raise EngineError("template.yaml has no DockerBuildArgs block")
    indent = m.group(1) + "  "
    block = "".join(f"{indent}{k}: {json.dumps(v)}\n" for k, v in args.items())
    text = text[: m.start(2)] + block + text[m.end(2):]
    text, n = re.subn(r"^( +)DockerContext: \.$", rf"\1DockerContext: {REPO}", text, flags=re.M)
    m2 = re.search(r"^( +)POWERTOOLS_METRICS_NAMESPACE: .*\n", text, re.M)
    if n != 1 or not m2:
        raise EngineError("template.yaml: DockerContext or the function's Environment not where expected")
    text = text[: m2.end()] + f"{m2.group(1)}AWS_ENDPOINT_URL: \"\"\n" + text[m2.end():]
    out.mkdir(parents=True, exist_ok=True)
    (out / "template.yaml").write_text(text)
    return out / "template.yaml"


def sam(args: list[str], env: dict[str, str], engine: Engine, timeout: float, logfile: Path
        ) -> subprocess.CompletedProcess:
    full = {**engine.env, **env}
    p = subprocess.run([sys.executable, "-m", "samcli", *args], env=full, capture_output=True,  # noqa: S603
                       timeout=timeout, cwd=str(WORK), check=False)
    with logfile.open("ab") as fh:
        fh.write(f"\n$ sam {' '.join(args)}\n".encode() + p.stderr + b"\n--- stdout\n" + p.stdout)
    return p


def last_json(stdout: bytes) -> Any:
    for line in reversed(stdout.decode(errors="replace").strip().splitlines()):
        with contextlib.suppress(json.JSONDecodeError):
            return json.loads(line)
    return None


# --------------------------------------------------------------------------------------------- RIE in the image


def rie_binary(arch: str = "amd64") -> Path:
    import samcli

    return Path(samcli.__file__).parent / "local" / "rapid" / f"aws-lambda-rie-{'x86_64' if arch == 'amd64' else 'arm64'}"


def cgroup_peak_mb(container_id: str) -> float | None:
    for p in (Path(f"/sys/fs/cgroup/memory/docker/{container_id}/memory.max_usage_in_bytes"),
              Path(f"/sys/fs/cgroup/docker/{container_id}/memory.peak"),
              Path(f"/sys/fs/cgroup/system.slice/docker-{container_id}.scope/memory.peak")):
        with contextlib.suppress(OSError, ValueError):
            return round(int(p.read_text().strip()) / 2**20, 1)  # MiB, as Lambda counts memory
    return None


def run_in_rie(engine: Engine, tag: str, env: dict[str, str], logs: Path, warm_runs: int = 3, arch: str = "amd64"
               ) -> dict[str, Any]:
    """The image under the RIE as user 65534: container start -> first /healthz answer, init_seconds, one
    synthesis decoded, warm synthesis times and the cgroup's peak memory."""
    ev = _events_module()
    name = f"sambert-image-test-{uuid.uuid4().hex[:6]}"
    cmd = ["run", "-d", "--name", name, "--pull", "never", "--user", "65534:65534", "--memory", "3008m",
           "-v", f"{rie_binary(arch)}:/rie:ro", "--entrypoint", "/rie"]
    for k, v in env.items():
        cmd += ["-e", f"{k}={v}"]
    out: dict[str, Any] = {"ok": False}
    t0 = time.monotonic()
    cid = engine.run(*cmd, tag, "python", "-m", "awslambdaric", "sambert_lambda.handler.handler").stdout.strip()
    try:
        ip = engine.run("inspect", "-f", "{{.NetworkSettings.IPAddress}}", cid).stdout.strip()
        url = f"http://{ip}:8080{INVOKE_PATH}"

        def call(event: dict, timeout: float = 300) -> dict:
            req = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST")
            with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (the container on our bridge)
                return json.loads(r.read())

        health = None
        deadline = time.monotonic() + 300
        while health is None:
            try:
                health = call(ev.load("function-url-healthz.json"))
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        out["cold_start_s"] = round(time.monotonic() - t0, 2)
        doc = json.loads(body_of(health))
        out["init_seconds"] = doc.get("init_seconds")
        t1 = time.monotonic()
        first = call(ev.direct_event(format="wav", text="今天天气很好，我们去公园散步吧。"))
        out["first_synthesis_ms"] = round((time.monotonic() - t1) * 1000)
        st, data = http_get(first["url"])
        out["audio"] = decode_audio(data) if st == 200 else {"status": st}
        warm = []
        for i in range(warm_runs):
            t1 = time.monotonic()
            r = call(ev.direct_event(format="wav", text=f"第{i + 1}次合成，欢迎使用语音合成服务。"))
            warm.append((time.monotonic() - t1) * 1000)
            assert "error" not in r, r
        if warm:
            out["warm_ms"] = round(statistics.median(warm))
            out["warm_ms_all"] = [round(w) for w in warm]
        out["aac"] = aac_check(call(ev.function_url_event(
            "POST", "/v1/audio/speech", {"input": "今天天气很好。", "voice": VOICE, "response_format": "aac"})))
        out["peak_memory_mb"] = cgroup_peak_mb(cid)
        out["user"] = engine.run("exec", cid, "id", "-u", check=False).stdout.strip() or None
        out["machine"] = engine.run("exec", cid, "python", "-c", "import platform; print(platform.machine())",
                                    check=False).stdout.strip() or None
        out["ok"] = st == 200 and out["audio"].get("frames", 0) > 0
    except Exception as e:  # noqa: BLE001 (recorded in the report)
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        engine.run("logs", cid, check=False, log=logs / f"rie-{tag.replace(':', '-')}.log")
        engine.run("rm", "-f", cid, check=False)
    return out


# --------------------------------------------------------------------------------------------- the run


def s3_put_case(stack: dict, s3: Any, sqs: Any, run_invoke) -> dict[str, Any]:
    """Upload a .txt under input/, take the notification LocalStack sent, invoke with it, read the manifest."""
    from urllib.parse import unquote_plus

    key = f"{stack['input_prefix']}image-test/{uuid.uuid4().hex[:6]}.txt"
    s3.put_object(Bucket=stack["bucket"], Key=key, Body="今天天气很好。我们去公园散步吧！".encode())
    event = None
    deadline = time.monotonic() + 60
    while event is None and time.monotonic() < deadline:
        for msg in sqs.receive_message(QueueUrl=stack["events_queue_url"], MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1).get("Messages", []):
            body = json.loads(msg["Body"])
            if any(unquote_plus(r["s3"]["object"]["key"]) == key for r in body.get("Records", [])):
                event = body
    if event is None:
        return {"status": None, "expected": 200, "ok": False, "error": "no S3 notification from LocalStack"}
    result, seconds = run_invoke(event)
    out: dict[str, Any] = {"status": status_of(result), "expected": 200, "seconds": seconds}
    root = stack["output_prefix"] + key[len(stack["input_prefix"]):] + "/"
    try:
        manifest = json.loads(s3.get_object(Bucket=stack["bucket"], Key=root + "manifest.json")["Body"].read())
        items = manifest.get("items", [])
        out["manifest"] = {"key": root + "manifest.json", "status": manifest.get("status"),
                           "items": len(items), "done": sum(1 for i in items if i.get("status") == "done")}
        audio_keys = [i["key"] for i in items if i.get("key")]
        if audio_keys:
            data = s3.get_object(Bucket=stack["bucket"], Key=audio_keys[0])["Body"].read()
            out["audio"] = decode_audio(data)
        out["ok"] = (out["status"] == 200 and bool(items) and out["manifest"]["done"] == len(items)
                     and out.get("audio", {}).get("frames", 0) > 0)
    except Exception as e:  # noqa: BLE001
        out.update(ok=False, error=f"{type(e).__name__}: {e}")
    return out


def arm64_check(engine: Engine, fn_env: dict[str, str], native_base: str, voices: str, work: Path, logs: Path
                ) -> dict[str, Any]:
    """Under qemu emulation: the ``runtime-onnx`` image built for arm64 (an arm64 base, the torch-free venv from arm64
    wheels with onnxruntime 1.23.2, the frontend cache made under emulation) and one synthesis through the RIE in
    it, as user 65534, with the voice the image baked. ``EXPORT_BASE_IMAGE`` is the native base: the stages that
    run torch at build time (deps, model, onnx-export) are the native build's, taken from its cache, and hand only
    platform-independent files (ONNX, configs) to the arm64 image. Only whether it ran is reported, with the image's
    size: emulated timings say nothing about arm64 performance."""
    reason = binfmt_aarch64()
    if reason:
        return {"ok": False, "reason": reason}
    out: dict[str, Any] = {"ok": False, "emulated": True, "target": "runtime-onnx", "tag": ARM64_TAG,
                           "onnxruntime": EMULATION_ONNXRUNTIME, "export_base_image": native_base}
    try:
        t0 = time.monotonic()
        base = ensure_base(engine, work / "base", "arm64", log=logs / "debootstrap-arm64.log")
        log(f"arm64: building --target runtime-onnx on {base['tag']} under emulation "
            f"(onnxruntime {EMULATION_ONNXRUNTIME}, EXPORT_BASE_IMAGE={native_base})")
        args = {**build_args(base["tag"], voices), "EXPORT_BASE_IMAGE": native_base,
                "ONNXRUNTIME_VERSION": EMULATION_ONNXRUNTIME}
        build(engine, "runtime-onnx", ARM64_TAG, args, logs)
        info = engine.inspect(ARM64_TAG) or {}
        out["architecture"] = info.get("Architecture")
        # the image's size above the arm64 base, as information (ONNX Runtime 1.23.2, not the lock's pin)
        out["size_mb"] = docker_sizes(ARM64_TAG, base["tag"], engine.env)["size_mb"]
        ran = run_in_rie(engine, ARM64_TAG, fn_env, logs, warm_runs=0, arch="arm64")
        out.update({k: ran.get(k) for k in ("ok", "audio", "aac", "machine", "user", "error")})
        out["ok"] = bool(ran.get("ok")) and ran.get("machine") == "aarch64" and out["architecture"] == "arm64"
        # how long the check took on this machine (arm64 base, build, one synthesis, all emulated): not an arm64
        # timing, only what the check adds to the image test's wall time
        out["check_wall_s"] = round(time.monotonic() - t0, 1)
    except (EngineError, subprocess.CalledProcessError) as e:
        out["error"] = str(e)[-1500:]
    log(f"arm64: {'runtime-onnx synthesized under emulation' if out['ok'] else 'FAILED'}")
    return out


def run(opts: argparse.Namespace) -> dict[str, Any]:
    t_start = time.monotonic()
    work = Path(opts.work)
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"ok": False, "arch": arch_name()}
    arch = arch_name()
    with Engine(work / "docker") as engine:
        report["engine"] = {"driver": engine.driver, "bridge": engine.bridge_ip(),
                            "version": engine.run("version", "--format", "{{.Server.Version}}").stdout.strip()}
        log(f"dockerd {report['engine']['version']} ({engine.driver}) on {engine.socket}")
        base = ensure_base(engine, work / "base", arch, log=logs / f"debootstrap-{arch}.log")
        base_bytes = engine.inspect(base["tag"])["Size"]
        report["base"] = {**base, "size_mb": round(base_bytes / DOCKER_MB, 1)}
        report["base_mb"] = report["base"]["size_mb"]
        log(f"base {base['tag']}: {report['base_mb']} MB")
        wh = fill_wheelhouse(work / "wheelhouse" / arch, arch, log=logs / f"wheelhouse-{arch}.log")
        sources = [Path(wh["dir"])]
        if opts.arm64 and arch == "amd64" and binfmt_aarch64() is None:
            # one set for every build (pip takes each platform's wheels from the union), so that the arm64 build
            # finds the native build's torch stages in the cache
            wh_arm = fill_wheelhouse(work / "wheelhouse" / "arm64", "arm64", log=logs / "wheelhouse-arm64.log")
            sources.append(Path(wh_arm["dir"]))
            report["wheelhouse_arm64"] = wh_arm
        report["wheelhouse"] = {**wh, "staged": stage_wheelhouse(*sources)}
        args = build_args(base["tag"], opts.voices)
        report["images"] = {}
        for target, tag in TARGETS.items():
            log(f"building {target} as {tag} (VOICES={opts.voices})")
            secs = build(engine, target, tag, args, logs)
            report["images"][target] = {"tag": tag, "build_s": secs, **docker_sizes(tag, base['tag'], engine.env)}
            log(f"{target}: {report['images'][target]['size_mb']} MB above the base ({secs} s)")
        report["images"]["web_adapter"] = {"skipped": True, "reason": WEB_ADAPTER_SKIPPED}
        log(f"web_adapter: {WEB_ADAPTER_SKIPPED}")
        if opts.all_voices and engine.driver == "vfs":
            # vfs copies every layer in full: a second set of images would double a build that is already slow
            report["all_voices_skipped"] = "storage driver vfs (overlay2 unavailable): the every-voice build is skipped"
        elif opts.all_voices:
            report["all_voices_mb"] = {}
            for target, tag in TARGETS.items():
                secs = build(engine, target, tag + "-all", build_args(base["tag"], ""), logs)
                report["all_voices_mb"][target] = docker_sizes(tag + "-all", base['tag'], engine.env)["size_mb"]
                log(f"{target} with every voice: {report['all_voices_mb'][target]} MB ({secs} s)")
        bridge = report["engine"]["bridge"]
        with LocalStackServer(["127.0.0.1", bridge], opts.localstack_port or free_port(), work / "localstack") as ls:
            from infra.setup_resources import clients, ensure_resources

            stack = ensure_resources(ls.endpoint, f"image-test-{uuid.uuid4().hex[:8]}")
            s3, sqs = clients(ls.endpoint)
            fn_env = {**stack["env"], "AWS_ENDPOINT_URL": ls.endpoint, "AWS_ACCESS_KEY_ID": "test",
                      "AWS_SECRET_ACCESS_KEY": "test", "TTS_URL_EXPIRES": "3600"}
            report["localstack"] = {"listen": ls.hosts, "port": ls.port, "listening": ls.listening()}
            # The arm64 check (emulated: one busy core) runs beside the SAM and RIE stages, which mostly wait on
            # containers starting; its timings are not reported, and theirs are taken under that load. A daemon
            # thread: a run stopped meanwhile (SIGTERM) exits without waiting for it.
            arm: dict[str, Any] = {} if opts.arm64 else {"ok": None, "reason": ARM64_NOT_RUN}
            worker = None
            if opts.arm64:
                worker = threading.Thread(name="arm64", daemon=True, target=lambda: arm.update(
                    arm64_check(engine, fn_env, base["tag"], opts.voices, work, logs)))
                worker.start()
            report["sam"] = sam_section(engine, args, fn_env, stack, s3, sqs, work, logs, opts)
            report["containers"] = {}
            for target, tag in TARGETS.items():
                log(f"{target}: under the RIE as user 65534")
                report["containers"][target] = run_in_rie(engine, tag, fn_env, logs)
            if worker is not None:
                worker.join()
            report["arm64"] = arm or {"ok": False, "error": "the arm64 check ended without a result"}
    c = report["containers"]
    report["cold_start_s"] = {t: {"first_response_s": v.get("cold_start_s"), "init_seconds": v.get("init_seconds")}
                              for t, v in c.items()}
    report["warm_ms"] = {t: v.get("warm_ms") for t, v in c.items()}
    report["peak_memory_mb"] = {t: v.get("peak_memory_mb") for t, v in c.items()}
    cases = report["sam"].get("sam_local_invoke", {})
    report["sam_local_invoke"] = cases
    sl = report["sam"].get("start_lambda")
    if sl is not None:
        report["start_lambda"] = sl
    limits = {"runtime-onnx": 450, "runtime": 1100}
    report["size_limits_mb"] = limits
    report["ok"] = (report["sam"].get("build", {}).get("ok", False)
                    and bool(cases) and all(v.get("ok") for v in cases.values())
                    and (sl is None or ("error" not in sl and all(v.get("ok") for v in sl.values() if isinstance(v, dict))))
                    and all(v.get("ok") for v in c.values())
                    and all(report["images"][t]["size_mb"] <= lim for t, lim in limits.items())
                    and report["arm64"].get("ok") is not False)
    report["seconds"] = round(time.monotonic() - t_start, 1)
    report["load_average_at_end"] = [round(x, 1) for x in os.getloadavg()]  # timings are only as good as this
    return report


def sam_section(engine: Engine, args: dict[str, str], fn_env: dict[str, str], stack: dict, s3: Any, sqs: Any,
                work: Path, logs: Path, opts: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    env = sam_env(work)
    sam_dir = work / "sam"
    template = derived_template(args, sam_dir)
    build_dir = sam_dir / "build"
    t0 = time.monotonic()
    p = sam(["build", "-t", str(template), "--build-dir", str(build_dir), "--cached", "--cache-dir",
             str(sam_dir / "cache")], env, engine, 3600, logs / "sam.log")
    out["build"] = {"ok": p.returncode == 0, "seconds": round(time.monotonic() - t0, 1)}
    log(f"sam build: {'ok' if p.returncode == 0 else 'FAILED'} ({out['build']['seconds']} s)")
    if p.returncode != 0:
        out["build"]["error"] = p.stderr.decode(errors="replace")[-1500:]
        return out
    env_vars = sam_dir / "env.json"
    env_vars.write_text(json.dumps({FUNCTION: fn_env}))
    built = build_dir / "template.yaml"

    def invoke(event: dict) -> tuple[Any, float]:
        ev_file = sam_dir / f"event-{uuid.uuid4().hex[:6]}.json"
        ev_file.write_text(json.dumps(event, ensure_ascii=False))
        t1 = time.monotonic()
        q = sam(["local", "invoke", FUNCTION, "-t", str(built), "-e", str(ev_file), "--env-vars", str(env_vars),
                 "--skip-pull-image", "--container-host-interface", "127.0.0.1", "--region", "us-east-1"],
                env, engine, 900, logs / "sam.log")
        ev_file.unlink()
        return last_json(q.stdout), round(time.monotonic() - t1, 1)

    cases: dict[str, Any] = {}
    for case, (event, expected) in invoke_cases().items():
        result, secs = invoke(event)
        cases[case] = {**check_result(case, result, expected), "seconds": secs}
        log(f"sam local invoke {case}: {cases[case]['status']} (expected {expected}) {secs} s")
    cases["s3_put"] = s3_put_case(stack, s3, sqs, invoke)
    log(f"sam local invoke s3_put: {cases['s3_put'].get('status')} manifest {cases['s3_put'].get('manifest')}")
    out["sam_local_invoke"] = cases
    if opts.start_lambda:
        out["start_lambda"] = start_lambda_cases(built, env_vars, env, engine, logs, opts.start_lambda_port or free_port())
    return out


def start_lambda_cases(built: Path, env_vars: Path, env: dict[str, str], engine: Engine, logs: Path, port: int
                       ) -> dict[str, Any]:
    """The same payloads through ``sam local start-lambda`` (127.0.0.1, one warm container) and boto3
    ``lambda.invoke``; stopped by its PID."""
    import socket

    import boto3
    from botocore.config import Config

    cmd = [sys.executable, "-m", "samcli", "local", "start-lambda", "-t", str(built), "--env-vars", str(env_vars),
           "--host", "127.0.0.1", "--port", str(port), "--warm-containers", "EAGER", "--skip-pull-image",
           "--container-host-interface", "127.0.0.1", "--region", "us-east-1"]
    out: dict[str, Any] = {}
    with (logs / "start-lambda.log").open("ab") as fh:
        proc = subprocess.Popen(cmd, env={**engine.env, **env}, stdout=fh, stderr=subprocess.STDOUT,  # noqa: S603
                                cwd=str(WORK), start_new_session=True)
    try:
        t0 = time.monotonic()
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if proc.poll() is not None or time.monotonic() - t0 > 600:
                return {"error": f"start-lambda did not listen (exit {proc.poll()}); see {logs}/start-lambda.log"}
            time.sleep(0.5)
        out["ready_s"] = round(time.monotonic() - t0, 1)
        client = boto3.client("lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test",  # noqa: S106 (sam local)
                              config=Config(read_timeout=900, retries={"max_attempts": 0}))
        for case, (event, expected) in invoke_cases().items():
            t1 = time.monotonic()
            try:
                resp = client.invoke(FunctionName=FUNCTION, Payload=json.dumps(event).encode())
                result = json.loads(resp["Payload"].read() or b"null")
                out[case] = {**check_result(case, result, expected), "seconds": round(time.monotonic() - t1, 1)}
            except Exception as e:  # noqa: BLE001
                out[case] = {"status": None, "expected": expected, "ok": False, "error": f"{type(e).__name__}: {e}"}
            log(f"start-lambda {case}: {out[case]['status']} (expected {expected}) {out[case].get('seconds')} s")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    return out


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m infra.image_test", description=__doc__.split("\n\n")[0])
    p.add_argument("--work", default=str(WORK), help="state: dockerd, base rootfs, wheelhouse, logs")
    p.add_argument("--voices", default=VOICE, help="voices baked in the measured images (default: %(default)s)")
    p.add_argument("--no-all-voices", dest="all_voices", action="store_false",
                   help="skip the second build with every voice (all_voices_mb)")
    p.add_argument("--localstack-port", type=int, default=0, help="default: a free port")
    p.add_argument("--no-start-lambda", dest="start_lambda", action="store_false",
                   help="skip the sam local start-lambda + boto3 lambda.invoke pass")
    p.add_argument("--start-lambda-port", type=int, default=0, help="default: a free port")
    p.add_argument("--no-arm64", dest="arm64", action="store_false",
                   help="skip building runtime-onnx for arm64 and synthesizing once in it under qemu emulation")
    opts = p.parse_args(argv)
    # SIGTERM (a test session stopping this run by its PID) unwinds like Ctrl-C: dockerd and LocalStack are stopped
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        report = run(opts)
    except EngineUnavailable as e:
        log(f"NO DOCKER ENGINE CAN BE STARTED HERE: {e}")
        report = {"ok": False, "engine_unavailable": str(e)}
    except EngineError as e:
        report = {"ok": False, "error": str(e)}
    Path(opts.work).mkdir(parents=True, exist_ok=True)
    (Path(opts.work) / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, ensure_ascii=False))
    return 0 if report.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
