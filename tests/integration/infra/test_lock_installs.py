"""The image's lock (requirements/lambda.txt): complete, fully pinned, and installable into a fresh --target dir.

No Docker engine runs here, so the deps stage of the Dockerfile is reproduced with pip: the lock installs into an
empty directory, and the function's handler imports with nothing but that directory, the package source and the
standard library on the path (``python -S``). The sizes per component are printed for the report.
"""

from __future__ import annotations

import json

import pytest
import tomllib

from tests.support.imagebuild import pins, run_isolated
from tests.support.paths import REPO

LOCK = REPO / "requirements" / "lambda.txt"


def _pins() -> dict[str, str]:
    return pins(LOCK)


def test_lock_pins_every_runtime_dependency():
    from infra.lock import requirement_name

    with (REPO / "pyproject.toml").open("rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    pins = _pins()
    missing = [d for d in deps if requirement_name(d) not in pins]
    assert not missing, f"re-run `python -m infra.lock`: not in the lock: {missing}"
    assert pins["torch"] and "+" not in pins["torch"]  # one pin for both arches; CPU build via the index
    assert "awslambdaric" in pins
    dev_only = {"pytest", "moto", "ruff", "hypothesis", "aws-sam-cli", "playwright", "checkov"}
    assert not dev_only & set(pins), "dev tools must not reach the image"


@pytest.mark.slow
@pytest.mark.timeout(900)  # pip installs the whole lock into an empty directory
def test_lock_installs_into_fresh_target_and_handler_imports(tmp_path):
    from tools import image_size

    target = tmp_path / "target"
    seconds = image_size.install_lock(target, use_cache=True)
    installed = {image_size.dist_name(p) for p in target.glob("*.dist-info")}
    assert set(_pins()) <= installed, set(_pins()) - installed
    probe = (
        "import numpy, soxr, torch, fastapi, mangum, awslambdaric, boto3, soundfile, lameenc\n"
        "import sambert_lambda.handler\n"
        "assert numpy.__file__.startswith(sys.argv[1]) and torch.__file__.startswith(sys.argv[1])\n"
        "assert not torch.cuda.is_available()\n"
        "print(torch.__version__)\n"
    )
    r = run_isolated(target, probe, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    comps = image_size.components(target)
    total = image_size.du_bytes(target)
    assert comps["torch"] > 50 * 2**20 and sum(comps.values()) <= total * 1.05
    print(
        json.dumps(
            {
                "install_seconds": round(seconds, 1),
                "deps_layer_mb": round(total / 2**20, 1),
                "largest_mb": {k: round(v / 2**20, 1) for k, v in list(comps.items())[:8]},
                "torch": r.stdout.strip(),
            }
        )
    )
