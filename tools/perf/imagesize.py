"""Size of what a container image would hold: the installed runtime dependency closure plus the baked model.

No image can be built here, so the image is estimated as the bytes of every installed distribution reachable from
this project's runtime requirements (plus extra roots such as ``torch`` or ``onnxruntime``), counted from each
distribution's RECORD, plus ``du`` of the model directory. Dev tools (pytest, ruff, moto, ...) are not reachable from
the runtime requirements and so are not counted. The Lambda base image (Python runtime, ~0.5 GB) is not included.
"""

from __future__ import annotations

import os
import re
from importlib import metadata
from pathlib import Path

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"extra\s*==")


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(dist: metadata.Distribution) -> list[str]:
    names = []
    for req in dist.requires or []:
        if _EXTRA.search(req):
            continue  # optional extras are not part of the runtime set
        m = _NAME.match(req)
        if m:
            names.append(_canon(m.group(1)))
    return names


def dependency_closure(roots: list[str]) -> dict[str, int]:
    """``{distribution: installed bytes}`` for the roots and everything they require (installed ones only)."""
    seen: dict[str, int] = {}
    stack = [_canon(r) for r in roots]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = _dist_bytes(dist)
        stack.extend(_requirement_names(dist))
    return seen


def _dist_bytes(dist: metadata.Distribution) -> int:
    total = 0
    for f in dist.files or []:
        if "__pycache__" in f.parts:
            continue  # bytecode is regenerated; an image build may or may not precompile it
        try:
            total += os.path.getsize(dist.locate_file(f))
        except OSError:
            pass
    return total


def du_bytes(path: str | Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def estimate(project: str, extra_roots: list[str], model_dir: str | Path | None) -> dict:
    """Dependency bytes (by distribution, largest first) + model bytes, in MB."""
    roots = [project, *extra_roots]
    deps = dependency_closure(roots)
    deps.pop(_canon(project), None)  # the project itself is tiny and counted with the model below
    mb = 1024 * 1024
    model = du_bytes(model_dir) if model_dir else 0
    top = sorted(deps.items(), key=lambda kv: -kv[1])
    return {
        "method": "installed runtime dependency closure (importlib.metadata RECORD sizes, no __pycache__) + du(model)",
        "roots": roots,
        "dependencies_mb": round(sum(deps.values()) / mb, 1),
        "model_mb": round(model / mb, 1),
        "total_mb": round((sum(deps.values()) + model) / mb, 1),
        "largest": {k: round(v / mb, 1) for k, v in top[:8]},
    }
