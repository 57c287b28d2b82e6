"""``sambert-lambda analyze``: UTF-8 lines on stdin -> one JSON object per line (normalized text, words, pinyin, breaks)."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--frontend", default="open", choices=["open"], help="frontend to use (only open analyzes)")
    parser.add_argument("--lexicon", default=None, metavar="FILE",
                        help="custom pronunciations (default TTS_LEXICON_FILE); matched entries are listed")


def run(args: argparse.Namespace) -> int:
    from sambert_lambda.errors import TTSError
    from sambert_lambda.frontend.lexicon import Lexicon
    from sambert_lambda.frontend.pipeline import get_frontend
    from sambert_lambda.settings import load_settings

    settings = load_settings()
    frontend = get_frontend(settings.frontend_cache)
    try:
        path = args.lexicon or settings.lexicon_file
        lexicon = Lexicon.load(path) if path else None
    except TTSError as e:
        sys.stderr.write(f"error [{e.code}] {e.message}\n")
        return 2
    stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    lines = (raw.decode("utf-8", "replace") for raw in stdin) if stdin is not None else iter(sys.stdin)
    for raw_line in lines:
        line = raw_line.rstrip("\r\n")
        try:
            result = frontend.analyze(line, lexicon=lexicon)
        except TTSError as e:
            result = {"input": line, "normalized": "", "words": [], "reason": f"{e.code}: {e.message}"}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0
