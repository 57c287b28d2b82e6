"""``scripts/image-test`` as a background process of the test session.

Building the images is slow and mostly waits on one core (debootstrap, pip inside the build, qemu for arm64), while
the rest of the suite is a single pytest process on the other. So when the session has selected the image tests,
the run starts as soon as collection is done, the image tests are ordered last, and their fixture only waits for the
report. A session that ends early (``-x``, Ctrl-C) stops the run by its PID, and a session that is killed stops it
through the parent-death signal; the run then stops the dockerd and LocalStack it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from tests.support.paths import REPO

IMAGE_TEST_FILE = "test_image.py"
IMAGE_TEST_DIR = Path("tests") / "e2e" / "infra"
LOGS = REPO / "var" / "image-test"


def unavailable_reason() -> str | None:
    """Why no Docker engine can be started here, or None when ``scripts/image-test`` can run."""
    if os.geteuid() != 0:
        return "not root: no Docker engine can be started (scripts/image-test needs root)"
    if shutil.which("dockerd") is None and shutil.which("apt-get") is None:
        return "no dockerd and no apt-get to install docker.io"
    return None


def is_image_test(item) -> bool:
    path = Path(str(item.path))
    return path.name == IMAGE_TEST_FILE and path.parent.as_posix().endswith(IMAGE_TEST_DIR.as_posix())


def _term_with_parent() -> None:
    """In the child before exec: SIGTERM when the test session's process dies, however it dies (a session killed
    with SIGKILL or SIGTERM runs no hook); the run then stops its dockerd and LocalStack itself."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class ImageTestRun:
    """One run of ``scripts/image-test``: started once, its stdout and stderr kept in files."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.stdout = LOGS / "session.stdout"
        self.stderr = LOGS / "session.stderr"

    def start(self) -> None:
        if self.proc is not None:
            return
        LOGS.mkdir(parents=True, exist_ok=True)
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [str(REPO / "scripts" / "image-test")], cwd=REPO, stdout=out, stderr=err,
                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_term_with_parent,
            )

    def wait(self, timeout: float) -> tuple[int, str, str]:
        """Exit status, stdout and stderr of the run (started now if it was not yet)."""
        self.start()
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        return rc, self.stdout.read_text(errors="replace"), self.stderr.read_text(errors="replace")

    def stop(self, grace: float = 120) -> None:
        """Stop a run still going: SIGTERM lets it stop its dockerd and LocalStack; SIGKILL after ``grace`` s."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(grace)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


RUN = ImageTestRun()
