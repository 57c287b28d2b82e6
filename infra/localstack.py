"""Start, reuse and stop LocalStack in host mode (no Docker) on 127.0.0.1:4566.

LocalStack runs from its own venv ``.localstack/`` (Python >= 3.12 from pyenv; in practice 3.13, since
localstack-core 2026.3 imports ``warnings.deprecated``), with the exact environment that
was verified on these machines (see ``shared/TOOLS.md``). Every variable matters: without
``GATEWAY_SERVER=hypercorn`` it binds every interface, without ``DNS_ADDRESS=0`` it starts a DNS server, and
``S3_SKIP_SIGNATURE_VALIDATION=0`` makes expired or tampered presigned URLs answer 403 as on AWS.

An already-running LocalStack (for example the Docker image) is used instead when ``AWS_ENDPOINT_URL`` points at
a healthy one. Processes we start are stopped by their PID (process group), never by name.

Several test runs may share one server: each :func:`start` registers the calling process under
``$TMPDIR/sambert-lambda-localstack-<uid>/users/`` (shared by every clone on the machine); :func:`stop` stops the server only when no other live process still uses it.

CLI: ``python -m infra.localstack start|stop|status|install``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".localstack"
# Machine-wide state (one server on 127.0.0.1:4566 per machine): clones of the repo share the pidfile and the
# user registry, so one clone never stops a server another clone is still using.
STATE = Path(
    os.environ.get("SAMBERT_LOCALSTACK_STATE")
    or Path(tempfile.gettempdir()) / f"sambert-lambda-localstack-{os.getuid()}"
)
PIDFILE = STATE / "server.pid"
LOGFILE = STATE / "server.log"
USERS = STATE / "users"
LOCKFILE = STATE / "lock"

HOST, PORT = "127.0.0.1", 4566
DEFAULT_ENDPOINT = f"http://{HOST}:{PORT}"
PACKAGES = ("localstack-core[runtime]==2026.3.0", "cbor2<6", "pyopenssl==26.0.0")
REQUIRED_SERVICES = ("s3", "sqs")

# Exactly the verified host-mode environment (shared/TOOLS.md).
SERVER_ENV = {
    "GATEWAY_SERVER": "hypercorn",
    "GATEWAY_LISTEN": f"{HOST}:{PORT}",
    "DNS_ADDRESS": "0",
    "DISABLE_EVENTS": "1",
    "SKIP_SSL_CERT_DOWNLOAD": "1",
    "LOCALSTACK_HOST": f"{HOST}:{PORT}",
    "S3_SKIP_SIGNATURE_VALIDATION": "0",
    "SQS_ENDPOINT_STRATEGY": "path",
}

_registered = False


class LocalStackError(RuntimeError):
    """LocalStack could not be installed, started or reached."""


# --------------------------------------------------------------------------------------------- health


def health(endpoint: str = DEFAULT_ENDPOINT, timeout: float = 2.0) -> dict[str, Any] | None:
    """The ``/_localstack/health`` document, or None when nothing healthy answers."""
    try:
        with urllib.request.urlopen(endpoint.rstrip("/") + "/_localstack/health", timeout=timeout) as r:  # noqa: S310
            doc = json.loads(r.read().decode())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return doc if isinstance(doc, dict) else None


def is_healthy(endpoint: str = DEFAULT_ENDPOINT) -> bool:
    doc = health(endpoint)
    if not doc:
        return False
    services = doc.get("services", {})
    return all(services.get(s) in ("available", "running") for s in REQUIRED_SERVICES)


# --------------------------------------------------------------------------------------------- venv


def _version_key(d: Path) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in d.name.split("."))
    except ValueError:
        return (0,)


def find_python() -> str:
    """A Python >= 3.12 interpreter: $LOCALSTACK_PYTHON, pyenv's versions, or python3.12/3.13 on PATH."""
    cands: list[str] = []
    if os.environ.get("LOCALSTACK_PYTHON"):
        cands.append(os.environ["LOCALSTACK_PYTHON"])
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        # newest first: localstack-core 2026.x imports warnings.deprecated, which only Python 3.13 has
        for d in sorted(pyenv.iterdir(), key=_version_key, reverse=True):
            cands.append(str(d / "bin" / "python"))
    cands += [
        p for p in (shutil.which("python3.13"), shutil.which("python3.12"), shutil.which("python3")) if p
    ]
    for c in cands:
        if not Path(c).exists():
            continue
        try:
            ok = (
                subprocess.run(  # noqa: S603
                    [c, "-c", "import sys, warnings; sys.exit(0 if hasattr(warnings, 'deprecated') else 1)"],
                    capture_output=True,
                    timeout=30,
                    check=False,
                ).returncode
                == 0
            )
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return c
    raise LocalStackError(
        "LocalStack needs Python >= 3.13 (pyenv or python3.13 on PATH); set LOCALSTACK_PYTHON"
    )


def ensure_venv() -> Path:
    """Create ``.localstack/`` and install the pinned LocalStack into it (about 1 minute, once)."""
    py = VENV / "bin" / "python"
    stamp = VENV / (".installed-" + "-".join(p.split("=")[-1] for p in PACKAGES[:1]))
    if py.exists() and stamp.exists():
        return py
    if (
        py.exists()
        # a venv on too old a Python (e.g. 3.12), or left without pip by an interrupted run, is rebuilt
        and subprocess.run(  # noqa: S603
            [str(py), "-c", "import warnings, pip; warnings.deprecated"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        shutil.rmtree(VENV)
    if not py.exists():
        subprocess.run([find_python(), "-m", "venv", str(VENV)], check=True)  # noqa: S603
    subprocess.run([str(py), "-m", "pip", "install", "-q", *PACKAGES], check=True)  # noqa: S603
    stamp.touch()
    return py


# --------------------------------------------------------------------------------------------- process


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie counts as dead
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
            return False
    return True


def _server_pid() -> int | None:
    try:
        pid = int(PIDFILE.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _live_users(exclude: int | None = None) -> list[int]:
    users = []
    if USERS.is_dir():
        for f in USERS.iterdir():
            try:
                pid = int(f.name)
            except ValueError:
                continue
            if pid != exclude and _pid_alive(pid):
                users.append(pid)
            elif pid != exclude:
                f.unlink(missing_ok=True)
    return users


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    STATE.mkdir(mode=0o700, parents=True, exist_ok=True)
    with LOCKFILE.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _register() -> None:
    global _registered
    USERS.mkdir(parents=True, exist_ok=True)
    (USERS / str(os.getpid())).touch()
    _registered = True


def _spawn(timeout: float) -> str:
    py = ensure_venv()
    STATE.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))}
    env.update(SERVER_ENV)
    env.setdefault("HOME", str(Path.home()))
    log = LOGFILE.open("ab")
    proc = subprocess.Popen(  # noqa: S603
        [str(py), "-m", "localstack.runtime.main"],
        env=env,
        cwd=str(STATE),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    PIDFILE.write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalStackError(f"LocalStack exited with {proc.returncode}; see {LOGFILE}")
        if is_healthy(DEFAULT_ENDPOINT):
            return DEFAULT_ENDPOINT
        time.sleep(0.5)
    _terminate(proc.pid)
    raise LocalStackError(f"LocalStack not healthy after {timeout:.0f} s; see {LOGFILE}")


def _terminate(pid: int, grace: float = 15.0) -> None:
    """SIGTERM the process group we created (start_new_session), then SIGKILL after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
            if not _pid_alive(pid):
                return
            time.sleep(0.2)


# --------------------------------------------------------------------------------------------- API


def start(timeout: float = 120) -> str:
    """Return a healthy endpoint URL, starting LocalStack in host mode if needed.

    Order: ``AWS_ENDPOINT_URL`` if it is healthy; else a server already on 127.0.0.1:4566 (ours or another's);
    else spawn one from ``.localstack/``. The calling process is registered as a user of the server.
    """
    given = os.environ.get("AWS_ENDPOINT_URL")
    if given and is_healthy(given):
        return given.rstrip("/")
    with _lock():
        if not is_healthy(DEFAULT_ENDPOINT):
            pid = _server_pid()
            if pid is not None:  # ours but not answering: wait a little, then replace it
                deadline = time.monotonic() + min(timeout, 30)
                while time.monotonic() < deadline and not is_healthy(DEFAULT_ENDPOINT):
                    time.sleep(0.5)
                if not is_healthy(DEFAULT_ENDPOINT):
                    _terminate(pid)
            if not is_healthy(DEFAULT_ENDPOINT):
                _spawn(timeout)
        _register()
    return DEFAULT_ENDPOINT


def stop(force: bool = False) -> bool:
    """Unregister this process; stop the server we started once no other live process uses it.

    Returns True when a server was stopped. A server we did not start (no pidfile, e.g. Docker) is never touched.
    """
    global _registered
    with _lock():
        (USERS / str(os.getpid())).unlink(missing_ok=True)
        _registered = False
        pid = _server_pid()
        if pid is None:
            PIDFILE.unlink(missing_ok=True)
            return False
        if _live_users(exclude=os.getpid()) and not force:
            return False
        _terminate(pid)
        PIDFILE.unlink(missing_ok=True)
        return True


def status() -> dict[str, Any]:
    """Where LocalStack answers, whether we started it, and who uses it."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT
    doc = health(endpoint)
    return {
        "endpoint": endpoint,
        "healthy": is_healthy(endpoint),
        "version": (doc or {}).get("version"),
        "services": {s: (doc or {}).get("services", {}).get(s) for s in REQUIRED_SERVICES},
        "pid": _server_pid(),
        "users": _live_users(),
        "log": str(LOGFILE),
    }


def ensure_resources(endpoint: str, bucket: str | None = None) -> dict[str, Any]:
    """Create the bucket, its rules and notifications, and the queues (see :mod:`infra.setup_resources`)."""
    from infra.setup_resources import ensure_resources as _ensure

    return _ensure(endpoint, bucket)


@contextlib.contextmanager
def running(timeout: float = 120) -> Iterator[str]:
    """``with running() as endpoint:`` start (or reuse) LocalStack, and release it on exit."""
    endpoint = start(timeout)
    try:
        yield endpoint
    finally:
        stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m infra.localstack", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start (or reuse) LocalStack and print its endpoint")
    s.add_argument("--timeout", type=float, default=120)
    s.add_argument(
        "--resources", action="store_true", help="also create the bucket and queues; print them as JSON"
    )
    s.add_argument("--bucket", default=None)
    st = sub.add_parser("stop", help="stop the LocalStack this project started (if nobody else uses it)")
    st.add_argument("--force", action="store_true", help="stop even if other live processes registered")
    sub.add_parser("status", help="print health, pid and users as JSON")
    sub.add_parser("install", help="create the .localstack venv (Python >= 3.13) if it is missing")
    a = p.parse_args(argv)
    try:
        if a.cmd == "start":
            endpoint = start(a.timeout)
            # The CLI process exits at once: it does not stay registered as a user.
            (USERS / str(os.getpid())).unlink(missing_ok=True)
            if a.resources:
                print(json.dumps(ensure_resources(endpoint, a.bucket), indent=2))
            else:
                print(endpoint)
        elif a.cmd == "install":
            print(f"localstack: venv ready ({ensure_venv()})")
        elif a.cmd == "stop":
            print("stopped" if stop(force=a.force) else "nothing to stop (not started here, or still in use)")
        else:
            print(json.dumps(status(), indent=2))
    except LocalStackError as e:
        print(f"localstack: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
