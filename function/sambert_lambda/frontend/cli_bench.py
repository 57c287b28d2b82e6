"""``sambert-lambda bench-frontend``: the frontend scoring tool, which lives in the repository's ``tools/`` package
(a developer tool, not shipped in the image). From a checkout it runs ``tools.frontend_bench``; elsewhere it prints
one ``error [tools_unavailable]`` line."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path


def _tool():
    try:
        return importlib.import_module("tools.frontend_bench.cli")
    except ImportError:
        root = Path(__file__).resolve().parents[3]  # function/sambert_lambda/frontend/ -> the checkout
        if not (root / "tools" / "frontend_bench" / "cli.py").is_file():
            return None
        sys.path.insert(0, str(root))
        try:
            return importlib.import_module("tools.frontend_bench.cli")
        except ImportError:
            return None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    tool = _tool()
    if tool is not None:
        tool.add_arguments(parser)
    else:
        parser.add_argument("rest", nargs=argparse.REMAINDER)


def run(args: argparse.Namespace) -> int:
    tool = _tool()
    if tool is None:
        print("error [tools_unavailable] bench-frontend is a developer tool: run it from a checkout of the "
              "repository (python -m tools.frontend_bench --data DIR)", file=sys.stderr)
        return 2
    return tool.run(args)
