"""``sambert-lambda serve``: the HTTP API under uvicorn on 127.0.0.1 (local use, tests, load checks).

The model loads once before the server accepts requests; a failed load is answered as its 503, as on Lambda.
Without ``TTS_BUCKET`` (or with ``--files DIR``) the audio of ``POST /v1/tts`` goes to local files, served by this
server under ``/files/`` (the answer's ``url`` is a link to it); with it, to S3 as on Lambda.
"""

from __future__ import annotations

import argparse

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535; 0 picks a free one)")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default 8000)")
    parser.add_argument("--log-level", default="warning", type=str.lower, choices=LOG_LEVELS,
                        help="uvicorn's access/error log level")
    parser.add_argument("--files", default=None, metavar="DIR",
                        help="store audio as local files in DIR (default without TTS_BUCKET: a temp directory)")


class LocalFiles:
    """Local-files storage for ``serve``: the files adapter plus links to ``/files/<key>`` on this server."""

    def __init__(self, root: str, url_expires: int) -> None:
        from sambert_lambda.storage.files import FileStorage

        self.files = FileStorage(root, bucket="local")
        self.root, self.bucket, self.url_expires = self.files.root, "local", url_expires

    def __getattr__(self, name: str):
        return getattr(self.files, name)

    def presign(self, key: str, expires: int | None = None):
        from datetime import datetime, timedelta, timezone
        from urllib.parse import quote

        self.files._path(key)  # refuses a bad key as the S3 adapter does
        return "/files/" + quote(key), datetime.now(timezone.utc) + timedelta(seconds=expires or self.url_expires)


def build_app(files: str | None = None):
    """The app with a process-wide service holder, loaded now (not on the first request)."""
    import tempfile

    from fastapi.staticfiles import StaticFiles

    from sambert_lambda.api.app import create_app
    from sambert_lambda.errors import TTSError
    from sambert_lambda.service import ServiceHolder, build_service
    from sambert_lambda.settings import get_settings

    local = None
    try:
        settings = get_settings()
        if files or not settings.bucket:
            local = LocalFiles(files or tempfile.mkdtemp(prefix="sambert-serve-"), settings.url_expires)
    except TTSError:
        pass  # the holder answers the invalid setting as its 503
    holder = ServiceHolder(lambda: build_service(storage=local))
    try:
        holder.get()
    except TTSError:
        pass  # remembered; every request answers its 503
    app = create_app(holder.get)
    app.state.jobs_in_process = True  # no S3 notification locally: /v1/jobs runs the batch in a thread
    if local is not None:
        app.mount("/files", StaticFiles(directory=str(local.root)), name="files")
    return app


def check_port(port: int) -> None:
    """Refuse a port that cannot be listened on (taken, or privileged) before the model loads."""
    import socket

    from sambert_lambda.errors import TTSError

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn's own socket
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as e:
            raise TTSError(f"cannot listen on 127.0.0.1:{port}: {e.strerror or e}", code="io_error") from None


def run(args: argparse.Namespace) -> int:
    import uvicorn

    check_port(int(args.port))
    uvicorn.run(build_app(args.files), host="127.0.0.1", port=int(args.port), log_level=args.log_level,
                workers=1, access_log=False)
    return 0
