"""The README's "Your first hour" block, run as written (bash, in an empty directory) after its install lines: the
test voice, ``synth``, ``serve`` without S3, both curl calls and the OpenAI SDK, then the files it wrote decoded."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sambert_lambda.audio import decode
from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[3]
INSTALL = ("python3.11 -m venv", "pip install")


def first_hour_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Your first hour", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


@pytest.mark.skipif(not shutil.which("curl"), reason="the walkthrough uses curl")
@pytest.mark.timeout(600)
def test_first_hour_walkthrough_works_as_written(tmp_path):
    block = first_hour_block()
    lines = block.splitlines()
    assert any(line.startswith(INSTALL) for line in lines)  # the install steps are there (this venv has them)
    script = "\n".join(line for line in lines if not line.startswith(INSTALL))
    port = str(free_port())
    # a step that fails stops the script (-e); the server it put in the background is stopped either way
    script = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script.replace("8000", port)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("TTS_BUCKET", None)
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=540)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    answer, _ = json.JSONDecoder().raw_decode(proc.stdout, proc.stdout.index('{"url"'))  # curl's /v1/tts answer
    assert answer["url"].startswith("/files/") and answer["test_voice"] is True and answer["emotion"] == "happy"
    for name, fmt in (("hello.mp3", "mp3"), ("speech.mp3", "mp3"), ("sdk.wav", "wav")):
        audio, rate = decode((tmp_path / name).read_bytes(), fmt)
        assert rate in (16000, 24000) and len(audio) > 0.2 * rate, name
