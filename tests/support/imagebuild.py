"""Helpers shared by the lock tests: read a lock, read the Dockerfile stage by stage, and run Python the way the
image would (``python -S``: no site-packages, only the installed lock, the package source and the standard library).

No Docker engine runs here, so the tests reproduce each Dockerfile stage's commands with these instead.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.paths import REPO

FUNCTION = REPO / "function"
DOCKERFILE = REPO / "Dockerfile"


def pins(lock: Path) -> dict[str, str]:
    """name -> version of every line of ``lock``; each must be an exact ``name==version`` pin."""
    out = {}
    for line in lock.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"([a-z0-9][a-z0-9-]*)==([0-9][^\s;]*)", line)
        assert m, f"not an exact pin: {line!r}"
        out[m.group(1)] = m.group(2)
    return out


def run_isolated(
    target: Path, code: str, *args: str, env: dict[str, str] | None = None, cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``code`` with only ``target`` (the installed lock), function/ and the standard library importable.

    ``sys.argv[1]`` is ``target``, ``sys.argv[2]`` function/, then ``args``. ``env`` replaces the environment (PATH
    is kept), so nothing like PYTHONPATH can bring the dev venv back in.
    """
    head = "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    return subprocess.run(
        [sys.executable, "-S", "-c", head + code, str(target), str(FUNCTION), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**base, **env} if env is not None else None,
    )


def stages(dockerfile: Path = DOCKERFILE) -> dict[str, list[tuple[str, str]]]:
    """``{stage name: [(INSTRUCTION, rest), ...]}`` in file order; line continuations joined, comments dropped.
    The FROM line is the first entry of each stage; ARGs before the first FROM (the global ones, such as
    BASE_IMAGE) are under ``"#global"``."""
    text = dockerfile.read_text().replace("\\\n", " ")
    out: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        word, _, rest = s.partition(" ")
        word, rest = word.upper(), " ".join(rest.split())
        if word == "FROM":
            m = re.fullmatch(r"(\S+)(?: AS (\S+))?", rest, flags=re.IGNORECASE)
            assert m, rest
            current = out.setdefault(m.group(2) or f"#{len(out)}", [])
        if current is None:
            assert word == "ARG", f"instruction other than ARG before FROM: {s}"
            current = out.setdefault("#global", [])
        current.append((word, rest))
    return out


def stage_args(stage: list[tuple[str, str]]) -> dict[str, str]:
    return dict(r.split("=", 1) for w, r in stage if w == "ARG" and "=" in r)


def stage_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    """The ENV assignments of one stage, with ``${ARG}`` replaced by the stage's ARG defaults."""
    args = stage_args(stage)
    env: dict[str, str] = {}
    for w, r in stage:
        if w == "ENV":
            for item in r.split():
                key, _, value = item.partition("=")
                env[key] = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), value)
    return env


def run_commands(stage: list[tuple[str, str]]) -> list[str]:
    """Every RUN of the stage split into its ``&&``-joined commands (the stages chain commands that way)."""
    return [c.strip() for w, r in stage if w == "RUN" for c in r.split(" && ")]
