"""Cold start and peak memory, measured in a fresh interpreter (see ``_coldchild.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sambert_lambda.errors import ModelError

CHILD = Path(__file__).with_name("_coldchild.py")


def measure(env: dict[str, str], text: str = "", timeout_s: float = 600.0) -> dict:
    """Start ``python _coldchild.py`` with ``env`` added; time process start -> "ready" line from outside.

    Returns ``cold_start_s`` (wall clock, parent side), the child's ``import_s``/``load_s`` and, when ``text`` is
    given, ``synth_s``, ``audio_s`` and ``peak_rss_mb`` (``ru_maxrss`` of the child after synthesizing it).
    """
    full_env = {**os.environ, **env}
    t0 = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - fixed interpreter and script of our own
        [sys.executable, str(CHILD), text],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: dict = {}
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            rec = json.loads(line)
            if rec.get("stage") == "ready":
                out["cold_start_s"] = time.perf_counter() - t0
            out.update({k: v for k, v in rec.items() if k != "stage"})
        proc.wait(timeout=timeout_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0 or "cold_start_s" not in out:
        err = proc.stderr.read() if proc.stderr else ""
        raise ModelError(f"cold-start subprocess failed (exit {proc.returncode}): {err.strip()[-800:]}")
    return out


def import_profile(module: str, top: int = 12) -> dict:
    """``python -X importtime -c 'import <module>'`` in a fresh interpreter: total and the slowest top-level imports.

    Also reports whether torch / boto3 ended up in ``sys.modules``.
    """
    code = f"import sys, {module}; print(int('torch' in sys.modules), int('boto3' in sys.modules))"
    t0 = time.perf_counter()
    res = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        return {"module": module, "error": res.stderr.strip()[-400:]}
    rows = []
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = [p.strip() for p in line[len("import time:") :].split("|")]
        try:
            cumulative = int(parts[1])
        except ValueError:
            continue
        name = parts[2]
        if not name.startswith(" ") and "." not in name.strip():
            rows.append((name.strip(), cumulative))
    rows.sort(key=lambda r: -r[1])
    flags = res.stdout.split()
    return {
        "module": module,
        "wall_s": round(wall, 3),
        "torch_imported": flags[:1] == ["1"],
        "boto3_imported": flags[1:2] == ["1"],
        "slowest_top_level_ms": {n: round(us / 1000, 1) for n, us in rows[:top]},
    }
