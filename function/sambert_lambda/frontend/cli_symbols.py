"""``sambert-lambda symbols``: text lines on stdin -> ``<idx>\\t<tokens>`` per sentence, as ttsfrd prints them.

``idx`` restarts at 0 for every input line; a line of several sentences prints several lines. A line with nothing
speakable (empty, emoji or punctuation only) prints nothing in this format.

``--line-numbers`` keeps the mapping to the input: every output line starts with its input line number (from 1),
``<line>\t<idx>\t<tokens>``, and a line with nothing speakable prints ``<line>\t-\t`` (no index, no tokens), so
every input line shows up at least once.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--emotion", default="neutral", help="emotion name, e.g. neutral, happy, sad, angry")
    parser.add_argument("--speaker", default="F7", help="speaker field (F7, F74, FBYN, FRXL, M7, xiaoyu)")
    parser.add_argument("--line-numbers", action="store_true",
                        help="prefix each output line with its input line number; unspeakable lines print '<n>\t-\t'")


def run(args: argparse.Namespace) -> int:
    from sambert_lambda.frontend.pipeline import get_frontend
    from sambert_lambda.settings import load_settings

    frontend = get_frontend(load_settings().frontend_cache)
    stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    lines = (raw.decode("utf-8", "replace") for raw in stdin) if stdin is not None else iter(sys.stdin)
    numbered = bool(getattr(args, "line_numbers", False))
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip("\r\n")
        out = _symbols(frontend, line, number, emotion=args.emotion, speaker=args.speaker)
        prefix = f"{number}\t" if numbered else ""
        if numbered and not out:
            sys.stdout.write(f"{prefix}-\t\n")
        for idx, symbols in enumerate(out):
            sys.stdout.write(f"{prefix}{idx}\t{symbols}\n")
    sys.stdout.flush()
    return 0


def _symbols(frontend, line: str, number: int, *, emotion: str, speaker: str) -> list[str]:
    """The symbol lines of one input line; a line starting with <speak is SSML, as on every interface."""
    from sambert_lambda.errors import InvalidInput, TTSError
    from sambert_lambda.request import decide_ssml, normalize_text

    text = normalize_text(line)
    try:
        if not decide_ssml(text, None):
            return frontend.symbol_lines(line, emotion=emotion, speaker=speaker)
        segments = frontend.segments(text, ssml=True, emotion=emotion, speaker=speaker)
    except TTSError as e:
        if e.code == "nothing_speakable":
            return []
        raise InvalidInput(f"line {number}: {e.message}", code=e.code, status=e.status) from None
    return [seg.symbols for seg in segments if seg.symbols]
