"""``sambert-lambda batch FILE --out DIR``: the S3 batch code path on a local file, with a progress bar.

The file is copied into a directory-backed storage (``DIR/.input/<name>``, its options as object metadata) and
processed exactly as an upload would be; outputs land in ``DIR/<name>/`` (manifest.json, audio, done markers).
Running it again skips what is done, like a re-delivered event.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sambert_lambda.audio import FORMATS
from sambert_lambda.errors import InvalidInput

INPUT_PREFIX = ".input/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a .txt, .jsonl or .ssml file")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--voice", help="default voice (as x-amz-meta-voice)")
    parser.add_argument("--emotion", help="default emotion (as x-amz-meta-emotion)")
    parser.add_argument("--format", type=str.lower, choices=FORMATS, help="audio format (as x-amz-meta-format)")
    parser.add_argument("--speed", type=float, help="default speed (as x-amz-meta-speed)")
    parser.add_argument("--model-dir", help="model directory (TTS_MODEL_DIR)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sambert_lambda.batch.budget import Budget
    from sambert_lambda.batch.layout import Layout
    from sambert_lambda.batch.runner import Env
    from sambert_lambda.batch.upload import process_upload
    from sambert_lambda.request import check_emotion, check_field, find_voice
    from sambert_lambda.settings import load_settings
    from sambert_lambda.storage.files import FileStorage
    from sambert_lambda.synthesizer import Synthesizer

    if not args.file.is_file():
        raise InvalidInput(f"no such file: {args.file}", code="not_found")
    if args.speed is not None:  # the options are checked as synth checks them, not item by item in the manifest
        check_field("speed", args.speed)
    settings = load_settings(**({"model_dir": args.model_dir} if args.model_dir else {}))
    synth = Synthesizer.from_settings(settings)
    if args.voice is not None or args.emotion is not None:
        info = find_voice({v.name: v for v in synth.voices()}, args.voice, synth.default_voice)
        if args.emotion is not None:
            check_emotion(info, args.emotion)
    storage = FileStorage(args.out)
    key = INPUT_PREFIX + args.file.name
    meta = {k: str(v) for k, v in (("voice", args.voice), ("emotion", args.emotion), ("format", args.format),
                                   ("speed", args.speed)) if v is not None}
    storage.put(key, args.file.read_bytes(), "application/octet-stream", meta)
    env = Env(storage, synth, settings)
    layout = Layout(INPUT_PREFIX, "", check_overlap=False)
    with tqdm(desc=args.file.name, unit="item", disable=args.quiet, file=sys.stderr) as bar:
        result = process_upload(env, layout, key, Budget(), progress=bar)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result.get("status") == "complete" and not result.get("failed") else 1
