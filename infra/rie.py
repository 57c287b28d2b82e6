"""Run the function under the real Lambda Runtime Interface Emulator, bound to 127.0.0.1.

The RIE binary ships inside the aws-sam-cli wheel (``samcli/local/rapid/aws-lambda-rie-x86_64``). It runs
``python -m awslambdaric sambert_lambda.handler.handler`` as the runtime, exactly as the container image does.
Both of its listen addresses are always passed: its defaults listen on all interfaces.

The emulator takes one invoke at a time, as one Lambda instance does. Its output (the function's JSON logs and
EMF metrics included) goes to a log file that tests can read.

Use::

    with RIE(env={"TTS_BUCKET": "b", "TTS_MODEL_DIR": "/path"}) as rie:
        result = rie.invoke({"text": "你好"})

CLI: ``python -m infra.rie serve [--port 8089]`` (foreground, Ctrl-C stops it) and
``python -m infra.rie invoke EVENT.json [--port 8089]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
HANDLER = "sambert_lambda.handler.handler"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"


class RIEError(RuntimeError):
    pass


def rie_binary() -> Path:
    """The emulator binary from the installed aws-sam-cli wheel."""
    try:
        import samcli
    except ImportError as e:
        raise RIEError("aws-sam-cli is not installed (pip install aws-sam-cli): it ships the RIE binary") from e
    path = Path(samcli.__file__).resolve().parent / "local" / "rapid" / "aws-lambda-rie-x86_64"
    if not path.exists():
        raise RIEError(f"no RIE binary at {path}")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | 0o111)
    return path


def free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 right now (two runs on one machine never share one)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM a process we started (by its PID), then SIGKILL it if it does not exit in ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


class RIE:
    """One emulated Lambda instance running the function's handler."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        handler: str = HANDLER,
        port: int | None = None,
        api_port: int | None = None,
        python: str = sys.executable,
        log_path: str | Path | None = None,
        timeout_s: int = 300,
    ) -> None:
        self.port = port or free_port()
        self.api_port = api_port or free_port()
        self.handler = handler
        self.python = python
        self.env = dict(env or {})
        self.timeout_s = timeout_s
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="rie-", suffix=".log")[1])
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{INVOKE_PATH}"

    def command(self) -> list[str]:
        return [
            str(rie_binary()),
            "--runtime-interface-emulator-address", f"{HOST}:{self.port}",
            "--runtime-api-address", f"{HOST}:{self.api_port}",
            self.python, "-m", "awslambdaric", self.handler,
        ]

    def start(self, wait_s: float = 30.0) -> RIE:
        env = {**os.environ, **self.env}
        env.setdefault("AWS_LAMBDA_FUNCTION_TIMEOUT", str(self.timeout_s))
        env.setdefault("AWS_LAMBDA_FUNCTION_NAME", "sambert-tts")
        env.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self.command(), env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RIEError(f"the RIE exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RIEError(f"the RIE did not listen on {HOST}:{self.port} within {wait_s}s")

    def invoke(self, event: Any, timeout: float | None = None) -> Any:
        """POST the event as the Lambda service would; returns the decoded JSON result."""
        data = json.dumps(event, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(self.url, data=data, method="POST",  # noqa: S310 - loopback URL we built
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout or self.timeout_s + 30) as resp:  # noqa: S310
            body = resp.read()
        return json.loads(body) if body else None

    def logs(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the group we started (RIE + its runtime child)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> RIE:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.rie", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    serve = sub.add_parser("serve", help="run the RIE in the foreground")
    serve.add_argument("--port", type=int, default=8089)
    inv = sub.add_parser("invoke", help="invoke a running RIE with an event file")
    inv.add_argument("event")
    inv.add_argument("--port", type=int, default=8089)
    args = parser.parse_args(argv)
    if args.cmd == "serve":
        def _interrupt(signum: int, frame: object) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _interrupt)  # stop the emulator's process group on TERM as on Ctrl-C
        signal.signal(signal.SIGINT, _interrupt)
        rie = RIE(port=args.port, log_path="/dev/stdout")
        print(f"RIE on {rie.url}", file=sys.stderr)
        with rie:
            try:
                while rie.proc and rie.proc.poll() is None:
                    time.sleep(0.5)
            except KeyboardInterrupt:
                pass
        return 0
    event = json.loads(Path(args.event).read_text(encoding="utf-8"))
    rie = RIE(port=args.port)
    print(json.dumps(rie.invoke(event), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
