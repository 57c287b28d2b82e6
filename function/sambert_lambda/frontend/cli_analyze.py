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
    """Errors are raised as TTSError: the CLI prints each as its usual one error line."""
    from pathlib import Path

    from sambert_lambda.errors import InvalidInput, TTSError
    from sambert_lambda.frontend.lexicon import Lexicon
    from sambert_lambda.frontend.pipeline import get_frontend
    from sambert_lambda.request import decide_ssml, normalize_text
    from sambert_lambda.settings import load_settings

    settings = load_settings()
    if args.lexicon:  # the user's own file: read and parsed as synth --lexicon does
        try:
            text = Path(args.lexicon).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InvalidInput(f"cannot read the lexicon {args.lexicon}: {e}", code="invalid_lexicon") from None
        lexicon = Lexicon.parse(text, where=Path(args.lexicon).name)
    else:
        lexicon = Lexicon.load(settings.lexicon_file) if settings.lexicon_file else None
    frontend = get_frontend(settings.frontend_cache)
    stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    lines = (raw.decode("utf-8", "replace") for raw in stdin) if stdin is not None else iter(sys.stdin)
    for raw_line in lines:
        line = raw_line.rstrip("\r\n")
        try:
            if decide_ssml(normalize_text(line), None):  # tags are never analyzed as text
                raise InvalidInput("analyze takes plain text lines; for an SSML line, 'sambert-lambda symbols' "
                                   "shows what is spoken", code="unsupported")
            result = frontend.analyze(line, lexicon=lexicon)
        except TTSError as e:
            result = {"input": line, "normalized": "", "words": [], "reason": f"{e.code}: {e.message}"}
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0
