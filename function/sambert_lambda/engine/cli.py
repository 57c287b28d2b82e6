"""``sambert-lambda synth-symbols``: run the engine on KAN-TTS symbol lines and dump dur/mel/wav/pcm to an npz.

Lines are numbered from 0 over the non-empty lines of the file; a leading ``<idx>\\t`` (ttsfrd's output format) is
stripped. For line ``i`` the npz holds ``i__dur`` int64 [N], ``i__mel`` float32 [frames, 80], ``i__wav`` float32
[frames * hop] and ``i__pcm`` int16 (the reference conversion, ``(32768 * wav).astype(int16)``).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from sambert_lambda.errors import InvalidInput

_INDEX_PREFIX = re.compile(r"^\d+\t")


def read_symbol_lines(path: Path) -> list[str]:
    """Non-empty lines of a symbol file, with any leading ``<idx>\\t`` removed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidInput(f"cannot read symbols file {path}: {e.strerror or e}") from None
    lines = [_INDEX_PREFIX.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise InvalidInput(f"symbols file {path} has no non-empty line")
    return lines


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model-dir", type=Path, required=True, help="model directory (ModelScope layout)")
    parser.add_argument("--voice", default=None, help="voice name (default: the model's default voice)")
    parser.add_argument("--symbols-file", type=Path, required=True, help="one KAN-TTS symbol line per line")
    parser.add_argument("--out", type=Path, required=True, help="output .npz")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = automatic)")


def run(args: argparse.Namespace) -> int:
    from sambert_lambda.engine.pcm import to_pcm16
    from sambert_lambda.engine.runtime import configure
    from sambert_lambda.engine.voice import ModelStore

    lines = read_symbol_lines(args.symbols_file)
    configure(args.threads)
    store = ModelStore(args.model_dir, backend="torch")
    voice = store.voice(args.voice or store.default_voice)
    arrays: dict[str, np.ndarray] = {}
    for i, line in enumerate(lines):
        try:
            out = voice.synthesize_line(line)
        except InvalidInput as e:
            raise type(e)(f"line {i}: {e.message}", detail=e.detail) from None
        arrays[f"{i}__dur"] = out.durations
        arrays[f"{i}__mel"] = out.mel
        arrays[f"{i}__wav"] = out.audio
        arrays[f"{i}__pcm"] = to_pcm16(out.audio)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, **arrays)
    seconds = sum(a.size for k, a in arrays.items() if k.endswith("__wav")) / voice.sample_rate
    print(f"{len(lines)} line(s), {seconds:.2f} s of audio, voice {voice.name} -> {args.out}")
    return 0
