"""``sambert-lambda frontend-cache --out PATH``: bake the frontend dictionary cache (image build time).

Run it with the same Python and packages as the function, then set ``TTS_FRONTEND_CACHE=PATH`` at run time.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None,
                        help="where to write the cache (default: $TTS_FRONTEND_CACHE, else the temp directory)")


def run(args: argparse.Namespace) -> int:
    from sambert_lambda.frontend import dict_cache
    from sambert_lambda.settings import load_settings

    if not args.out:
        dict_cache.configure(load_settings().frontend_cache)
    path = Path(args.out) if args.out else dict_cache.default_path()
    if path is None:
        print("sambert-lambda frontend-cache: TTS_FRONTEND_CACHE=off; pass --out PATH")
        return 2
    dict_cache.build(path)
    print(json.dumps({"path": str(path), "bytes": path.stat().st_size, "key": dict_cache.cache_key()}))
    return 0
