"""``sambert-lambda symbols``: text lines on stdin -> ``<idx>\\t<tokens>`` per sentence, as ttsfrd prints them.

``idx`` restarts at 0 for every input line. A line with nothing speakable prints nothing.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--emotion", default="neutral", help="emotion name, e.g. neutral, happy, sad, angry")
    parser.add_argument("--speaker", default="F7", help="speaker field (F7, F74, FBYN, FRXL, M7, xiaoyu)")
    parser.add_argument("--frontend", default="open", choices=["open", "ttsfrd", "auto"])


def run(args: argparse.Namespace) -> int:
    from sambert_lambda.frontend.pipeline import OpenFrontend, get_frontend

    frontend = get_frontend(args.frontend)
    stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    lines = (raw.decode("utf-8", "replace") for raw in stdin) if stdin is not None else iter(sys.stdin)
    for raw_line in lines:
        line = raw_line.rstrip("\r\n")
        if isinstance(frontend, OpenFrontend):
            out = frontend.symbol_lines(line, emotion=args.emotion, speaker=args.speaker)
        else:
            out = [s.symbols for s in frontend.segments(line, emotion=args.emotion, speaker=args.speaker)
                   if s.symbols] if line.strip() else []
        for idx, symbols in enumerate(out):
            sys.stdout.write(f"{idx}\t{symbols}\n")
    sys.stdout.flush()
    return 0
