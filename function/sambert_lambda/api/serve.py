"""``sambert-lambda serve``: the HTTP API under uvicorn on 127.0.0.1 (local use, tests, load checks).

The model loads once before the server accepts requests; a failed load is answered as its 503, as on Lambda.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000)")
    parser.add_argument("--log-level", default="warning", help="uvicorn's access/error log level")


def build_app():
    """The app with a process-wide service holder, loaded now (not on the first request)."""
    from sambert_lambda.api.app import create_app
    from sambert_lambda.errors import TTSError
    from sambert_lambda.service import ServiceHolder

    holder = ServiceHolder()
    try:
        holder.get()
    except TTSError:
        pass  # remembered; every request answers its 503
    app = create_app(holder.get)
    app.state.jobs_in_process = True  # no S3 notification locally: /v1/jobs runs the batch in a thread
    return app


def run(args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(build_app(), host="127.0.0.1", port=int(args.port), log_level=args.log_level,
                workers=1, access_log=False)
    return 0
