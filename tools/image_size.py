"""Image sizes: measured from a built image (``docker image inspect``), or estimated without Docker.

Measured (what the docs quote): :func:`docker_sizes` reads ``docker image inspect`` (all layers) and
``docker history`` of a built image and reports the part above its base image, with the base's own size beside.
``scripts/image-test`` builds both images and records these figures in ``var/image-test/report.json``;
``python -m tools.image_size --report`` prints them from there, ``python -m tools.image_size --docker TAG --base
BASE`` measures any image on the engine ``DOCKER_HOST`` names.

Estimated (no Docker engine, e.g. to see which distribution costs what): ``requirements/lambda.txt`` is installed
exactly as the Dockerfile's deps stage installs it (torch from the CPU wheels, no cache), into an empty directory;
then ``du`` reports the size per component (top-level package directories grouped by distribution), the
application package, and the baked model directory. The install is cached under ``var/image-size/`` and redone when
the lock changes: ``python -m tools.image_size [--profile torch|onnx] [--model-dir DIR] [--fresh]`` prints JSON.

``--profile onnx`` estimates the Dockerfile's ``runtime-onnx`` target: ``requirements/lambda-onnx.txt`` (no torch),
and as its model layer the model dir without the torch checkpoints plus the voices exported to ONNX. The export runs
here into a temporary directory (``sambert-lambda export-onnx``, which needs torch and onnx: run it with the dev
venv), unless ``--onnx-dir`` names an existing export.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements" / "lambda.txt"
ONNX_LOCK = REPO / "requirements" / "lambda-onnx.txt"
WORK = REPO / "var" / "image-size"
REPORT = REPO / "var" / "image-test" / "report.json"
# Measured image sizes are in docker's own units (MB = 10^6 bytes, as `docker images` prints them).
DOCKER_MB = 1_000_000
APP = REPO / "function" / "sambert_lambda"


def du_bytes(path: Path) -> int:
    """Disk usage of ``path`` in bytes (``du -sk``, i.e. allocated blocks as Docker layers store files)."""
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    return int(out.split()[0]) * 1024


CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# Removed from site-packages after the install, as the Dockerfile's deps stage does: only needed to build C++
# extensions against torch or to test torch itself.
TRIM = ("torch/include", "torch/bin/test_*", "torch/bin/*Test", "torch/bin/protoc*")
# The onnx image's deps-onnx stage drops numpy's own test suite (never imported by the function):
# ``find "$site"/numpy -type d -name tests -prune -exec rm -rf {} +``.
ONNX_TRIM_TESTS = ("numpy",)
# Then, last, what the function never loads: jieba's paddle mode and keyword extraction, and botocore's models of every
# service but BOTOCORE_SERVICES (the Dockerfile's ``rm -rf`` and ``find "$site"/botocore/data ... ! -name s3 ...``).
ONNX_UNUSED = ("jieba/lac_small", "jieba/analyse")
BOTOCORE_SERVICES = ("s3", "sqs", "sns", "sts")


def cpu_index_reachable(timeout: float = 3.0) -> bool:
    """Whether the PyTorch CPU wheel index answers (it does not on machines that reach PyPI only)."""
    import socket

    try:
        with socket.create_connection(("download.pytorch.org", 443), timeout=timeout):
            return True
    except OSError:
        return False


def install_lock(
    target: Path, lock: Path = LOCK, python: str = sys.executable, *, use_cache: bool = False
) -> float:
    """``pip install --no-cache-dir --target target -r lock`` into an empty dir; returns the seconds it took.

    torch comes from the CPU index when it is reachable, else from pip's own configuration (a local CPU wheel).
    A lock without torch (lambda-onnx.txt) installs from pip's configured index only, as its Dockerfile stage does.
    """
    import time

    wants_torch = any(ln.startswith("torch==") for ln in lock.read_text().splitlines())
    index = ["--extra-index-url", CPU_INDEX] if wants_torch and cpu_index_reachable() else []
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    t0 = time.monotonic()
    subprocess.run(  # noqa: S603
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            *([] if use_cache else ["--no-cache-dir"]),
            "--no-deps",
            "--target",
            str(target),
            *index,
            "-r",
            str(lock),
        ],
        check=True,
    )
    if wants_torch:
        trim(target)
    else:
        from infra.docker_engine import AAC_PIN

        # the onnx image's default AUDIO_EXTRAS=aac
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), AAC_PIN],  # noqa: S603
                       check=True)
        trim(target, tuple(f"{pkg}/**/tests" for pkg in ONNX_TRIM_TESTS))
        trim_unused(target)
    return time.monotonic() - t0


def trim_unused(site: Path) -> int:
    """The onnx image's last trim (ONNX_UNUSED, and botocore's data but BOTOCORE_SERVICES); returns the bytes freed."""
    data = site / "botocore" / "data"
    services = tuple(
        f"botocore/data/{p.name}" for p in sorted(data.iterdir()) if p.is_dir() and p.name not in BOTOCORE_SERVICES
    ) if data.is_dir() else ()
    return trim(site, ONNX_UNUSED + services)


def trim(site: Path, patterns: tuple[str, ...] = TRIM) -> int:
    """Delete the paths matching ``patterns`` (default TRIM) under ``site``; returns the bytes freed."""
    freed = 0
    for pattern in patterns:
        for path in sorted(site.glob(pattern)):
            if not path.exists():  # inside a directory deleted just before
                continue
            freed += du_bytes(path)
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    return freed


def dist_name(info_dir: Path) -> str:
    """``torch-2.13.0+cpu.dist-info`` -> ``torch`` (canonical: lower case, hyphens)."""
    return info_dir.name.removesuffix(".dist-info").rsplit("-", 1)[0].lower().replace("_", "-")


def _owner_map(target: Path) -> dict[str, str]:
    """top-level entry in ``target`` -> distribution name, from each ``*.dist-info/RECORD``."""
    owners: dict[str, str] = {}
    for info in target.glob("*.dist-info"):
        dist = dist_name(info)
        owners[info.name] = dist
        record = info / "RECORD"
        if not record.is_file():
            continue
        for line in record.read_text(encoding="utf-8", errors="replace").splitlines():
            top = line.split(",", 1)[0].split("/", 1)[0]
            if top and not top.startswith(".."):
                owners.setdefault(top, dist)
    return owners


def components(target: Path) -> dict[str, int]:
    """Bytes per distribution (``du`` of the top-level entries each one installed), largest first."""
    owners = _owner_map(target)
    sizes: dict[str, int] = {}
    for entry in target.iterdir():
        dist = owners.get(entry.name, "(unowned)")
        sizes[dist] = sizes.get(dist, 0) + du_bytes(entry)
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


def _lock_hash(lock: Path) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()[:16]


def checkpoint_dirs(model_dir: Path) -> list[Path]:
    """The torch checkpoint dirs of a model dir (``voices/<voice>/<am|voc>/ckpt``): what the onnx image drops, as
    the Dockerfile's onnx-export stage does with ``find .../voices -mindepth 3 -maxdepth 3 -type d -name ckpt``."""
    return sorted(p for p in Path(model_dir).glob("voices/*/*/ckpt") if p.is_dir())


def export_onnx(model_dir: Path, out: Path, python: str = sys.executable) -> None:
    """``sambert-lambda export-onnx model_dir out`` (the onnx-export stage's command; needs torch and onnx)."""
    subprocess.run(  # noqa: S603
        [python, "-m", "sambert_lambda", "export-onnx", str(model_dir), str(out)],
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "function")},
        stdout=subprocess.DEVNULL,
    )


PROFILES = {"torch": (LOCK, "target", "installed-"), "onnx": (ONNX_LOCK, "target-onnx", "onnx-installed-")}


def measure(
    model_dir: Path | str | None = None,
    *,
    fresh: bool = False,
    lock: Path | None = None,
    profile: str = "torch",
    onnx_dir: Path | str | None = None,
) -> dict[str, Any]:
    """Sizes in MB: deps layer (per component), app package, model dir; and the install time when it ran.

    ``profile="onnx"``: the onnx lock, and the model layer of the runtime-onnx target (the model dir without its
    checkpoints, plus the ONNX export: ``onnx_dir``, else exported now into a temporary directory)."""
    default_lock, target_name, stamp_prefix = PROFILES[profile]
    lock = lock or default_lock
    target = WORK / target_name
    stamp = WORK / f"{stamp_prefix}{_lock_hash(lock)}"
    seconds = None
    if fresh or not stamp.exists() or not target.is_dir():
        for old in WORK.glob(f"{stamp_prefix}*"):
            old.unlink()
        seconds = install_lock(target, lock)
        stamp.touch()
    mb = 1024 * 1024
    comps = components(target)
    deps = du_bytes(target)
    top = {k: round(v / mb, 1) for k, v in list(comps.items())[:12]}
    rest = sum(list(comps.values())[12:])
    if rest:
        top["(others)"] = round(rest / mb, 1)
    report: dict[str, Any] = {
        "profile": profile,
        "lock": str(lock.relative_to(REPO)) if lock.is_relative_to(REPO) else str(lock),
        "packages": len(list(target.glob("*.dist-info"))),
        "deps_layer_mb": round(deps / mb, 1),
        "deps_by_component_mb": top,
        "app_mb": round(du_bytes(APP) / mb, 2),
        "install_seconds": round(seconds, 1) if seconds is not None else "cached",
        "base_image": "not included (estimate without Docker; see --report for measured image sizes)",
    }
    if model_dir is not None and Path(model_dir).is_dir():
        model = du_bytes(Path(model_dir))
        report["model_dir"] = str(model_dir)
        if profile == "onnx":
            ckpt = sum(du_bytes(p) for p in checkpoint_dirs(Path(model_dir)))
            report["model_dir_without_checkpoints_mb"] = round((model - ckpt) / mb, 2)
            report["onnx_export_mb"] = round((onnx := _onnx_bytes(Path(model_dir), onnx_dir)) / mb, 1)
            model = model - ckpt + onnx
        report["model_layer_mb"] = round(model / mb, 1)
        report["deps_plus_model_mb"] = round((deps + model) / mb, 1)
    return report


def _onnx_bytes(model_dir: Path, onnx_dir: Path | str | None) -> int:
    if onnx_dir is not None:
        return du_bytes(Path(onnx_dir))
    import tempfile

    with tempfile.TemporaryDirectory(prefix="onnx-export-") as tmp:
        export_onnx(model_dir, Path(tmp) / "onnx")
        return du_bytes(Path(tmp) / "onnx")



# --------------------------------------------------------------------------------------------- measured (Docker)


def _history_bytes(size: str) -> int:
    """``docker history`` sizes such as ``1.07GB``, ``335MB``, ``0B`` (decimal units) -> bytes."""
    import re

    m = re.fullmatch(r"([\d.]+)\s*([kKMG]?B)", size.strip())
    if not m:
        return 0
    return int(float(m.group(1)) * {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9}[m.group(2)])


def docker_sizes(tag: str, base: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Measured size of a built image: ``size_mb`` above ``base`` (``docker image inspect`` Size minus the base's),
    ``total_mb``, ``base_mb`` and the layers of 1 MB or more from ``docker history``."""

    def docker(*args: str) -> str:
        return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603, S607

    size = json.loads(docker("image", "inspect", tag))[0]["Size"]
    base_size = json.loads(docker("image", "inspect", base))[0]["Size"]
    layers = []
    for line in docker("history", "--no-trunc", "--format", "{{json .}}", tag).splitlines():
        h = json.loads(line)
        b = _history_bytes(h["Size"])
        if b >= DOCKER_MB:
            layers.append({"mb": round(b / DOCKER_MB, 1), "created_by": h["CreatedBy"][-100:]})
    return {"tag": tag, "size_mb": round((size - base_size) / DOCKER_MB, 1), "total_mb": round(size / DOCKER_MB, 1),
            "base_mb": round(base_size / DOCKER_MB, 1), "layers_over_1mb": layers}


def measured_report(path: Path = REPORT) -> dict[str, Any] | None:
    """The sizes of the last ``scripts/image-test`` run (``var/image-test/report.json``), or None."""
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    images = report.get("images") or {}
    if not images:
        return None
    return {"source": f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path} (docker image inspect)",
            "base_mb": report.get("base_mb"),
            "images_mb_above_base": {t: v["size_mb"] for t, v in images.items() if "size_mb" in v},
            "not_built": {t: v.get("reason") for t, v in images.items() if v.get("skipped")} or None,
            "all_voices_mb": report.get("all_voices_mb"), "voices_baked": report.get("voices")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.image_size", description=__doc__.split("\n\n")[0])
    p.add_argument("--model-dir", type=Path, default=None, help="baked model directory to include")
    p.add_argument("--fresh", action="store_true", help="reinstall even if the lock has not changed")
    p.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="torch",
        help="torch: lambda.txt; onnx: lambda-onnx.txt",
    )
    p.add_argument(
        "--onnx-dir", type=Path, default=None, help="onnx: an existing export (default: export now)"
    )
    p.add_argument("--docker", metavar="TAG", help="measure this built image (with --base) instead")
    p.add_argument("--base", default="local/python:3.11-bookworm", help="--docker: the base image")
    p.add_argument("--report", action="store_true", help="print the sizes of the last scripts/image-test run")
    a = p.parse_args(argv)
    if a.report:
        report = measured_report()
        if report is None:
            print(f"error [no_report]: {REPORT} is missing: run scripts/image-test", file=sys.stderr)
            return 1
    elif a.docker:
        report = docker_sizes(a.docker, a.base)
    else:
        report = measure(a.model_dir, fresh=a.fresh, profile=a.profile, onnx_dir=a.onnx_dir)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
