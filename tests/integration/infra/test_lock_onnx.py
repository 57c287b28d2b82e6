"""The torch-free image (Dockerfile target ``runtime-onnx``, lock ``requirements/lambda-onnx.txt``).

No Docker engine runs here, so the target is checked in two ways: its stages' instructions (what the image would
hold and how it starts), and a reproduction of each stage's commands in temporary directories: the onnx lock
installs into an empty ``--target`` dir (``/opt/venv``), the frontend cache is baked with that dir alone, the test
voice is exported to ONNX with the dev venv (which has torch, as the onnx-export stage's venv does) and its
checkpoints dropped by the stage's own ``find`` command, and then the handler starts with the runtime stage's
environment (paths mapped by its ``COPY --from`` lines) and only the onnx lock, function/ and the standard library
importable. It must synthesize real audio through a Function URL event, without torch.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from tests.support.imagebuild import pins, run_commands, run_isolated, stage_args, stage_env, stages
from tests.support.paths import REPO

LOCK = REPO / "requirements" / "lambda.txt"
ONNX_LOCK = REPO / "requirements" / "lambda-onnx.txt"
# what torch alone brings into requirements/lambda.txt; none of it may reach the onnx image
TORCH_ONLY = {
    "torch",
    "sympy",
    "mpmath",
    "networkx",
    "filelock",
    "fsspec",
    "jinja2",
    "markupsafe",
    "setuptools",
}


def _project() -> dict:
    with (REPO / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]


# ------------------------------------------------------------------------------------------------ the lock


def test_onnx_lock_pins_every_runtime_dependency_and_onnxruntime_without_torch():
    from infra.lock import requirement_name

    project = _project()
    onnx = pins(ONNX_LOCK)
    wanted = [*project["dependencies"], *project["optional-dependencies"]["onnx"], "awslambdaric"]
    missing = [d for d in wanted if requirement_name(d) not in onnx]
    assert not missing, f"re-run `python -m infra.lock --profile onnx`: not in the lock: {missing}"
    assert "onnxruntime" in onnx
    assert not TORCH_ONLY & set(onnx), TORCH_ONLY & set(onnx)
    dev_only = {"pytest", "moto", "ruff", "hypothesis", "aws-sam-cli", "playwright", "checkov", "onnx"}
    assert not dev_only & set(onnx), "dev and bake-time tools must not reach the image"


def test_onnx_lock_shares_the_torch_locks_pins():
    """Both images run the same tested versions of everything they have in common (lock.py resolves the onnx
    profile with lambda.txt as constraints); a torch-lock update without an onnx re-lock fails here."""
    torch, onnx = pins(LOCK), pins(ONNX_LOCK)
    drift = {n: (torch[n], v) for n, v in onnx.items() if n in torch and torch[n] != v}
    assert not drift, f"re-run `python -m infra.lock --profile onnx`: {drift}"
    # and the onnx set is the torch set minus what only torch pulls, plus onnxruntime and its own dependencies
    assert set(torch) - set(onnx) == TORCH_ONLY


def test_lock_profiles_render_the_committed_files():
    """``render`` of each lock's pins gives the committed file byte for byte (the default profile's output did not
    change with the onnx profile); the onnx profile asks for onnxruntime and never for torch."""
    from infra import lock

    assert lock.render(pins(LOCK)) == LOCK.read_text()
    assert lock.render(pins(ONNX_LOCK), "onnx") == ONNX_LOCK.read_text()
    torch_reqs, onnx_reqs = lock.runtime_requirements(), lock.runtime_requirements("onnx")
    assert lock.TORCH in torch_reqs and not any(lock.requirement_name(r) == "torch" for r in onnx_reqs)
    assert {lock.requirement_name(r) for r in onnx_reqs} - {lock.requirement_name(r) for r in torch_reqs} == {
        "onnxruntime"
    }
    with pytest.raises(ValueError, match="profile"):
        lock.runtime_requirements("cuda")


# ------------------------------------------------------------------------------------------------ the Dockerfile


def test_dockerfile_onnx_target():
    st = stages()
    names = list(st)
    # after the torch-free image only the optional streaming image (and the adapter's source), so no other target
    # ever builds them; sam build names runtime-onnx (tests/unit/infra/test_template.py)
    assert names[names.index("runtime-onnx") + 1:] == ["web-adapter", "runtime-onnx-streaming"]
    assert st["runtime-onnx-streaming"][0][1].split()[0] == "runtime-onnx"
    assert {"deps-onnx", "onnx-export", "runtime"} <= set(names)
    rt, rt_onnx = st["runtime"], st["runtime-onnx"]
    assert stage_args(st["#global"])["BASE_IMAGE"] == "python:3.11-slim-bookworm"
    assert rt_onnx[0][1].split()[0] == rt[0][1].split()[0] == "${BASE_IMAGE}"
    for word in ("USER", "ENTRYPOINT", "CMD", "WORKDIR"):
        assert [r for w, r in rt_onnx if w == word] == [r for w, r in rt if w == word], word
    env, env_rt = stage_env(rt_onnx), stage_env(rt)
    assert env["TTS_BACKEND"] == "onnx" and env["TTS_ONNX_DIR"] == "/opt/onnx" and env_rt["TTS_BACKEND"] == "torch"
    for key in ("HOME", "XDG_CACHE_HOME", "TMPDIR", "TTS_FRONTEND_CACHE", "TTS_MODEL_DIR", "PATH"):
        assert env[key] == env_rt[key], key
    assert env["TTS_MODEL_ID"] == env_rt["TTS_MODEL_ID"] == stage_args(rt)["MODEL"]
    # the venv and the frontend cache come from the torch-free stage only; voices from the export stage
    copies = [r.split() for w, r in rt_onnx if w == "COPY"]
    assert {c[0] for c in copies} == {"--from=deps-onnx", "--from=onnx-export"}
    assert ("--from=deps-onnx", "/opt/venv", "/opt/venv") in {tuple(c) for c in copies}
    assert ("--from=deps-onnx", "/opt/frontend", "/opt/frontend") in {tuple(c) for c in copies}
    assert ("--from=onnx-export", "/opt/onnx", "/opt/onnx") in {tuple(c) for c in copies}
    # no torch in the torch-free stages: not installed, no CPU index, no torch settings
    deps = st["deps-onnx"]
    assert deps[0][1].split()[0] == "pip-base"  # the shared pip set-up, not FROM deps
    assert st["pip-base"][0][1].split()[0] == rt[0][1].split()[0]  # which starts from a fresh base image
    # the torch stages start from EXPORT_BASE_IMAGE (BASE_IMAGE unless building for another architecture) with
    # pip-base's configuration, so that a cross-architecture build can run them natively
    assert stage_args(st["#global"])["EXPORT_BASE_IMAGE"] == "${BASE_IMAGE}"
    assert st["deps"][0][1].split()[0] == "${EXPORT_BASE_IMAGE}"
    assert [r for w, r in st["deps"] if w == "COPY" and r.startswith("--from=")] == [
        "--from=pip-base /etc/pip.conf /etc/pip.conf", "--from=pip-base /wheelhouse/ /wheelhouse/"]
    text = " ".join(r for w, r in [*st["pip-base"], *deps, *rt_onnx])
    assert "torch" not in text.lower() and "download.pytorch.org" not in text
    assert "-r requirements/lambda-onnx.txt" in text and "--no-cache-dir" in text
    assert "frontend-cache --out /opt/frontend/sambert-frontend.cache" in text
    from tools.image_size import BOTOCORE_SERVICES, ONNX_TRIM_TESTS, ONNX_UNUSED

    # the size report trims what the image trims
    trims = [c for c in run_commands(deps) if c.startswith(("find ", "rm "))]
    assert trims == [
        "find "
        + " ".join(f'"$site"/{p}' for p in ONNX_TRIM_TESTS)
        + " -type d -name tests -prune -exec rm -rf {} +",
        "rm -rf " + " ".join(f'"$site"/{p}' for p in ONNX_UNUSED),
        'find "$site"/botocore/data -mindepth 1 -maxdepth 1 -type d '
        + " ".join(f"! -name {s}" for s in BOTOCORE_SERVICES)
        + " -exec rm -rf {} +",
    ]
    # the lock is complete, so nothing outside it is installed; pip leaves the runtime venv last
    assert "/opt/venv/bin/pip install --no-cache-dir --no-deps -r requirements/lambda-onnx.txt" in run_commands(deps)
    assert run_commands(deps)[-1] == "/opt/venv/bin/python -m pip uninstall --yes --quiet pip setuptools"
    # the export stage builds on the torch stages and pins onnx within pyproject's onnx-export extra
    export = st["onnx-export"]
    assert export[0][1].split()[0] == "model"
    from packaging.requirements import Requirement

    (spec,) = _project()["optional-dependencies"]["onnx-export"]
    assert Requirement(spec).specifier.contains(stage_args(export)["ONNX_VERSION"])
    assert any(
        c.startswith("/opt/venv/bin/sambert-lambda export-onnx /opt/model /opt/onnx")
        for c in run_commands(export)
    )
    # --target runtime: torch from the CPU index, the torch lock, the torch engine
    runs = " ".join(run_commands(st["deps"]))
    assert stage_args(st["deps"])["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert '--index-url "$TORCH_INDEX_URL"' in runs and "-r requirements/lambda.txt" in runs
    assert stage_env(rt)["TTS_BACKEND"] == "torch" and "TTS_ONNX_DIR" not in stage_env(rt)


# ------------------------------------------------------------------------------------------------ reproduction


def _venv_command(cmd: str, target: Path, cwd: Path) -> None:
    """``/opt/venv/bin/sambert-lambda ARGS`` of the deps-onnx stage, run with only the onnx lock installed."""
    args = cmd.split()[1:]
    r = run_isolated(
        target,
        "from sambert_lambda.cli import main\nraise SystemExit(main(sys.argv[3:]))\n",
        *args,
        env={},
        cwd=cwd,
    )
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.parametrize("version", ["", "1.23.2"])
def test_dockerfile_onnxruntime_version_replaces_only_that_pin(tmp_path, version):
    # the deps-onnx stage's own command, run on a copy of the lock as the build would (WORKDIR /src)
    (cmd,) = [c for c in run_commands(stages()["deps-onnx"]) if "ONNXRUNTIME_VERSION" in c]
    assert stage_args(stages()["deps-onnx"])["ONNXRUNTIME_VERSION"] == '""'  # empty: the lock's pin
    lock = tmp_path / "requirements" / "lambda-onnx.txt"
    lock.parent.mkdir()
    shutil.copy(ONNX_LOCK, lock)
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=tmp_path, capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "ONNXRUNTIME_VERSION": version})
    assert r.returncode == 0, r.stderr
    before, after = pins(ONNX_LOCK), pins(lock)
    assert after["onnxruntime"] == (version or before["onnxruntime"])
    assert {k: v for k, v in after.items() if k != "onnxruntime"} == {
        k: v for k, v in before.items() if k != "onnxruntime"}


@pytest.mark.parametrize("stage,default", [("deps-onnx", "aac"), ("deps", '""')])
@pytest.mark.parametrize("extras,status,installs", [("", 0, None), ("aac", 0, "av==18.1.0"), ("mp4", 1, None)])
def test_dockerfile_audio_extras_add_pyav_only_when_asked(tmp_path, stage, default, extras, status, installs):
    """The stage's own AUDIO_EXTRAS command under bash, with a pip that records what it is asked to install. The
    ONNX image (the default) has aac unless built with AUDIO_EXTRAS empty; the torch image only when asked."""
    from infra.docker_engine import AAC_PIN, BUILD_EXTRAS, FOREIGN_EXTRAS

    st = stages()[stage]
    args = stage_args(st)
    assert args["AUDIO_EXTRAS"] == default and args["AV_VERSION"] == "18.1.0"
    # the image test's wheelhouses carry the same PyAV, for both architectures
    assert AAC_PIN == f"av=={args['AV_VERSION']}" and AAC_PIN in BUILD_EXTRAS and AAC_PIN in FOREIGN_EXTRAS
    from packaging.requirements import Requirement

    (spec,) = _project()["optional-dependencies"]["aac"]
    assert Requirement(spec).specifier.contains(args["AV_VERSION"])  # the image's pin is within the extra
    (cmd,) = [c for c in run_commands(st) if c.startswith('if [ -n "$AUDIO_EXTRAS" ]')]
    pip = tmp_path / "opt" / "venv" / "bin" / "pip"
    pip.parent.mkdir(parents=True)
    pip.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/pip.log\n')
    pip.chmod(0o755)
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd.replace("/opt/venv/", f"{tmp_path}/opt/venv/")],
                       capture_output=True, text=True, cwd=tmp_path,
                       env={"PATH": "/usr/bin:/bin", "AUDIO_EXTRAS": extras, "AV_VERSION": args["AV_VERSION"]})  # fmt: skip
    assert r.returncode == status, r.stderr
    log = (tmp_path / "pip.log").read_text() if (tmp_path / "pip.log").exists() else ""
    assert (installs in log) if installs else log == "", log
    if status:
        assert "AUDIO_EXTRAS must be empty or aac" in r.stderr


def _bash(cmd: str, cwd: Path) -> None:
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, cwd=cwd)
    assert r.returncode == 0, f"{cmd}\n{r.stderr[-2000:]}"


PROBE = r"""
import base64, importlib.util, io, json, os, wave
assert importlib.util.find_spec("torch") is None, "torch is importable"
import sambert_lambda.handler as h
assert h.holder.error is None, h.holder.error
event = json.loads(sys.argv[3])


class Context:
    function_name, aws_request_id, memory_limit_in_mb = "sambert-tts", "req-onnx-1", 3008
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sambert-tts"

    def get_remaining_time_in_millis(self):
        return 60_000


resp = h.handler(event, Context())
assert resp["statusCode"] == 200, resp
wav = base64.b64decode(resp["body"]) if resp["isBase64Encoded"] else resp["body"].encode()
with wave.open(io.BytesIO(wav)) as w:
    frames, rate, width = w.getnframes(), w.getframerate(), w.getsampwidth()
    pcm = w.readframes(frames)
from sambert_lambda.frontend import dict_cache

service = h.holder.get()
print(json.dumps({
    "torch_loaded": "torch" in sys.modules,
    "onnxruntime_file": sys.modules["onnxruntime"].__file__,
    "store": service.synthesizer.store.backend,
    "frontend_cache": dict_cache.status().get("mode"),
    "frames": frames, "rate": rate, "width": width, "nonzero": any(pcm),
}))
"""


@pytest.mark.slow
@pytest.mark.timeout(1200)  # installs the lock, bakes the cache, exports ONNX, starts the handler
def test_onnx_image_stages_reproduced_handler_synthesizes_without_torch(tmp_path, test_voice_dir):
    from tools import image_size

    st = stages()
    build = tmp_path / "build"  # the build's filesystem: /opt/X -> build/opt/X
    opt = build / "opt"
    target = opt / "venv-site"  # /opt/venv (its site-packages: pip --target, as the lock test does)

    def on_build(cmd: str) -> str:
        return re.sub(r"(?<![\w/])/opt/", f"{opt}/", cmd)

    # deps-onnx: `pip install -r requirements/lambda-onnx.txt` into the empty venv, then the package and the cache
    seconds = image_size.install_lock(target, ONNX_LOCK, use_cache=True)
    installed = {image_size.dist_name(p) for p in target.glob("*.dist-info")}
    assert set(pins(ONNX_LOCK)) <= installed and "torch" not in installed
    for cmd in run_commands(st["deps-onnx"]):
        if cmd.startswith(("python -m venv", "/opt/venv/bin/pip install", "site=", 'if [ -n "$ONNXRUNTIME_VERSION" ]',
                           'if [ -n "$AUDIO_EXTRAS" ]', "/opt/venv/bin/python -m pip uninstall")):  # fmt: skip
            # done by install_lock (from the host's package source: the build's pip.conf line is skipped; a
            # --target install has no pip to remove); the package is function/ on the path; $site is the target dir
            continue
        if '"$site"' in cmd:
            _bash(cmd.replace('"$site"', str(target)), cwd=tmp_path)
            continue
        assert cmd.startswith("/opt/venv/bin/sambert-lambda "), cmd
        _venv_command(on_build(cmd), target, tmp_path)
    assert (target / "soxr").is_dir() and not (target / "scipy").exists()  # scipy is a dev dependency only
    assert not list(target.glob("numpy/**/tests"))
    assert (target / "av").is_dir() and not (target / "jieba" / "analyse").exists()
    assert sorted(p.name for p in (target / "botocore" / "data").iterdir() if p.is_dir()) == ["s3", "sns", "sqs", "sts"]
    # model: the baked voice is the test voice (MODEL=test-voice), at /opt/model
    shutil.copytree(test_voice_dir, opt / "model")
    # onnx-export: its commands, with the dev venv standing for the torch venv (onnx installed there already)
    for cmd in run_commands(st["onnx-export"]):
        if cmd.startswith("/opt/venv/bin/pip install"):
            assert re.search(r'"onnx==\$\{ONNX_VERSION\}"', cmd), cmd
            pytest.importorskip("onnx")
            continue
        cmd = cmd.replace("/opt/venv/bin/sambert-lambda", f"{sys.executable} -m sambert_lambda")
        _bash(on_build(cmd), cwd=REPO)
    slim = opt / "model-onnx"
    assert not list(slim.rglob("*.pth")) and list((opt / "model").rglob("*.pth")), "checkpoints not dropped"
    voices = json.loads((slim / "voices" / "voices.json").read_text())["voices"]
    assert sorted(p.name for p in (opt / "onnx").iterdir()) == sorted(voices)

    # runtime-onnx: its ENV, with each runtime path mapped to what its COPY --from put there
    rt = st["runtime-onnx"]
    copies = [r.split()[1:] for w, r in rt if w == "COPY" and r.startswith("--from=")]
    mapped = {dst: Path(on_build(src)) for src, dst in copies}
    mapped["/opt/venv"] = target
    (tmp_path / "tmp").mkdir()
    env = {}
    for key, value in stage_env(rt).items():
        if key == "PATH":
            continue
        for dst, src in sorted(mapped.items(), key=lambda kv: -len(kv[0])):
            if value == dst or value.startswith(dst + "/"):
                value = str(src) + value[len(dst) :]
                break
        else:
            value = re.sub(r"^/tmp(?=/|$)", str(tmp_path / "tmp"), value)
        env[key] = value
    assert env["TTS_MODEL_DIR"] == str(slim) and Path(env["TTS_FRONTEND_CACHE"]).is_file()
    names = json.loads((REPO / "infra" / "resources.json").read_text())["env"]
    env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                names["bucket"]: "sambert-onnx-image-test"})  # fmt: skip
    from tests.support.events import function_url_event

    event = function_url_event(
        "POST", "/v1/audio/speech", {"input": "今天天气真好。", "response_format": "wav", "voice": voices[0]}
    )
    r = run_isolated(target, PROBE, json.dumps(event), env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["torch_loaded"] is False and out["onnxruntime_file"].startswith(str(target))
    assert out["store"] == "onnx" and out["frontend_cache"] == "cache"
    assert out["rate"] == 16000 and out["width"] == 2 and out["frames"] > 1600 and out["nonzero"]
    comps = image_size.components(target)
    print(json.dumps({"install_seconds": round(seconds, 1), "deps_layer_mb": round(image_size.du_bytes(target) / 2**20, 1),
                      "largest_mb": {k: round(v / 2**20, 1) for k, v in list(comps.items())[:6]}, **out}))  # fmt: skip


@pytest.mark.parametrize(("packages", "cert", "want"), [
    ("wheelhouse", "", "[global]\nno-index = true\nfind-links = /wheelhouse\n"),
    ("index", "/wheelhouse/proxy-ca.pem", "[global]\nindex-url = https://pypi.org/simple\ncert = /wheelhouse/proxy-ca.pem\n"),
])
def test_pip_base_writes_the_package_source_and_the_proxy_ca_into_pip_conf(tmp_path, packages, cert, want):
    # pip-base's own RUN under bash with its ARGs as the build sets them; an ARG ends with its stage, so PIP_CERT
    # must reach the other build stages through /etc/pip.conf (deps-onnx inherits it, deps copies it)
    st = stages()
    (run,) = [r for w, r in st["pip-base"] if w == "RUN"]
    conf = tmp_path / "pip.conf"
    env = {"PATH": os.environ["PATH"], "PACKAGES": packages, "PIP_CERT": cert,
           "INDEX_URL": stage_args(st["pip-base"])["INDEX_URL"]}
    p = subprocess.run(["bash", "-o", "pipefail", "-c", run.replace("/etc/pip.conf", str(conf))], env=env,
                       capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    assert conf.read_text() == want
    assert "--from=pip-base /etc/pip.conf /etc/pip.conf" in [r for w, r in st["deps"] if w == "COPY"]
    bad = subprocess.run(["bash", "-c", run.replace("/etc/pip.conf", str(conf))], env={**env, "PACKAGES": "x"},
                         capture_output=True, text=True, check=False)
    assert bad.returncode != 0 and "PACKAGES must be index or wheelhouse" in bad.stderr
