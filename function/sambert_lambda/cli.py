"""The one command-line entry point: ``sambert-lambda <command> ...`` (also ``python -m sambert_lambda``).

Each command lives in the module that does the work. That module exports ``add_arguments(parser)`` and
``run(args) -> int``; it is imported only when its command is chosen, so ``--help`` and light commands never
pay for torch.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import sys
from pathlib import Path

CHECKOUT_ROOT = Path(__file__).resolve().parents[2]  # <checkout>/function/sambert_lambda/cli.py

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("sambert_lambda.cli", "synthesize text (or SSML, or symbol lines) to an audio file"),
    "synth-symbols": ("sambert_lambda.engine.cli", "run the engine on KAN-TTS symbol lines and dump dur/mel/wav/pcm"),
    "analyze": ("sambert_lambda.frontend.cli_analyze", "text lines on stdin -> JSON analysis (normalized, words)"),
    "symbols": ("sambert_lambda.frontend.cli_symbols", "text lines on stdin -> ttsfrd-style symbol lines"),
    "bench-frontend": ("tools.frontend_bench.cli", "score the frontend on benchmark data (from a source checkout only)"),
    "frontend-cache": ("sambert_lambda.frontend.cli_cache", "bake the frontend dictionary cache (image build time)"),
    "make-test-voice": ("sambert_lambda.engine.testvoice", "write random-weight voices in the ModelScope layout"),
    "bake-model": ("sambert_lambda.engine.bake", "download the model into a ModelScope cache (image build time)"),
    "batch": ("sambert_lambda.batch", "run the S3 batch code path on a local file"),
    "serve": ("sambert_lambda.api.serve", "serve the HTTP API with uvicorn on 127.0.0.1"),
    "bench": ("tools.bench", "performance report as JSON on stdout (from a source checkout only)"),
    "export-onnx": ("sambert_lambda.engine.torch.onnx_export", "export voices for the torch-free ONNX engine (bake time)"),
}


# ---------------------------------------------------------------------- sambert-lambda synth
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="?", help="text to speak (SSML when it starts with <speak); '-' or omitted reads stdin")
    p.add_argument("-o", "--out", required=True,
                   help="output file; the format follows --format or the extension ('-': stdout, wav by default)")
    p.add_argument("--voice", default=None)
    p.add_argument("--emotion", default=None)
    p.add_argument("--speed", type=float, default=None)
    p.add_argument("--pitch", type=float, default=None)
    p.add_argument("--volume", type=float, default=None, help="gain in dB")
    p.add_argument("--format", default=None, help="wav|mp3|ogg|flac|pcm (default: from the extension of -o)")
    p.add_argument("--sample-rate", type=int, default=None, help="8000|16000|22050|24000 (default: the voice's)")
    p.add_argument("--ssml", action="store_true", default=None, help="the text is SSML (detected from <speak too)")
    p.add_argument("--symbols", action="store_true", help="the input is KAN-TTS symbol lines, one per line")
    p.add_argument("--model-dir", default=None, help="plain model directory (default: TTS_MODEL_DIR / ModelScope cache)")
    p.add_argument("--lexicon", default=None, metavar="FILE", help="custom pronunciations (lexicon text format)")
    p.add_argument("--marks", default=None, metavar="FILE", help="also write speech marks (JSON Lines) to FILE")
    p.add_argument("--mark-types", default=None,
                   help="comma-separated mark types for --marks (default: all)")
    p.add_argument("--captions", default=None, metavar="FILE", help="also write captions: WebVTT for .vtt, SRT for .srt")


def output_format(out: pathlib.Path, fmt: str | None) -> str:
    """The format to write ``out`` in: ``fmt`` if given, else from the extension; a mismatch is refused."""
    from sambert_lambda.audio import FORMATS
    from sambert_lambda.errors import InvalidInput
    from sambert_lambda.request import check_field

    ext = out.suffix.lstrip(".").lower()
    if fmt is not None:
        fmt = check_field("format", fmt)
        if ext in FORMATS and ext != fmt:
            raise InvalidInput(f"--format {fmt} does not match the extension of {out.name}: rename the file or "
                               "drop --format", code="format_mismatch")
        return fmt
    if not ext:
        return "wav"
    if ext not in FORMATS:
        raise InvalidInput(f"cannot tell the format from {out.name!r}: use an extension of {', '.join(FORMATS)} "
                           "or give --format", code="invalid_format")
    return ext


def check_output(out: pathlib.Path) -> None:
    """Refuse an output path that cannot be written, before any synthesis."""
    import os

    from sambert_lambda.errors import InvalidInput

    if out.is_dir():
        raise InvalidInput(f"{out} is a directory; give a file name", code="invalid_output")
    parent = out.parent if str(out.parent) else pathlib.Path(".")
    if not parent.is_dir():
        raise InvalidInput(f"directory {parent} does not exist", code="invalid_output")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise InvalidInput(f"{out} is not writable", code="invalid_output")


def run(args: argparse.Namespace) -> int:
    from sambert_lambda import marks
    from sambert_lambda.audio import encode
    from sambert_lambda.errors import InvalidInput
    from sambert_lambda.request import TTSRequest
    from sambert_lambda.settings import load_settings
    from sambert_lambda.synthesizer import Synthesizer

    out = pathlib.Path(args.out)
    fields = {"voice": args.voice, "emotion": args.emotion, "speed": args.speed, "pitch": args.pitch,
              "volume": args.volume, "sample_rate": args.sample_rate, "ssml": args.ssml}
    if args.lexicon:
        try:
            fields["lexicon"] = pathlib.Path(args.lexicon).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InvalidInput(f"cannot read the lexicon {args.lexicon}: {e}", code="invalid_lexicon") from None
        from sambert_lambda.frontend.lexicon import Lexicon

        Lexicon.parse(fields["lexicon"], where=pathlib.Path(args.lexicon).name)  # malformed: before the model loads
    if args.mark_types is not None and not args.marks:
        raise InvalidInput("--mark-types needs --marks FILE", code="invalid_input")
    if args.symbols:  # the tokens carry emotion and tones, and there is no text to mark or caption
        ignored = [flag for flag, value in (("--emotion", args.emotion), ("--ssml", args.ssml),
                                            ("--lexicon", args.lexicon), ("--marks", args.marks),
                                            ("--captions", args.captions)) if value]  # fmt: skip
        if ignored:
            raise InvalidInput(f"{', '.join(ignored)} cannot apply to --symbols (symbol lines carry their emotion "
                               "and tones, and have no text to mark)", code="invalid_input")
    if args.marks:
        types = args.mark_types if args.mark_types is not None else "sentence,word,phoneme,ssml"
        fields["speech_marks"] = [t.strip() for t in types.split(",") if t.strip()]
    if args.captions:
        ext = pathlib.Path(args.captions).suffix.lower()
        if ext not in (".srt", ".vtt"):  # as -o: the extension says the format
            raise InvalidInput(f"cannot tell the caption format from {pathlib.Path(args.captions).name!r}: "
                               "name the file .vtt (WebVTT) or .srt", code="invalid_captions")
        fields["captions"] = ext[1:]
    text = args.text if args.text not in (None, "-") else sys.stdin.read()
    req = TTSRequest.from_dict({"text": text, "format": output_format(out, args.format),
                                **{k: v for k, v in fields.items() if v is not None}})
    to_stdout = str(args.out) == "-"  # `-o -`: the audio on stdout (for a pipe), the report on stderr
    outputs = [pathlib.Path(p) for p in (None if to_stdout else out, args.marks, args.captions) if p]
    for path in outputs:
        check_output(path)
    if len({p.resolve() for p in outputs}) < len(outputs):
        raise InvalidInput("-o, --marks and --captions must name different files", code="invalid_output")
    settings = load_settings(**({"model_dir": args.model_dir} if args.model_dir else {}))
    synth = Synthesizer.from_settings(settings)
    if args.symbols:
        from sambert_lambda.types import Controls

        result = synth.synthesize_symbols(text.splitlines(), voice=req.voice,
                                          controls=Controls(speed=req.speed, pitch=req.pitch, volume_db=req.volume))
    else:
        req = req.resolve({v.name: v for v in synth.voices()}, synth.default_voice, settings.max_chars)
        result = synth.synthesize(req.text, voice=req.voice, emotion=req.emotion, speed=req.speed, pitch=req.pitch,
                                  volume_db=req.volume, ssml=bool(req.ssml), lexicon=req.lexicon)
    audio_bytes = encode(result.audio, result.sample_rate, req.format, target_rate=req.sample_rate)
    files = {} if to_stdout else {out: audio_bytes}
    if args.marks:
        files[pathlib.Path(args.marks)] = marks.to_jsonl(
            marks.speech_marks(text, result.rendered, result.sample_rate, req.speech_marks or ()))
    if args.captions:
        files[pathlib.Path(args.captions)] = marks.captions(
            text, result.rendered, result.sample_rate, req.captions or "vtt").encode("utf-8")
    for path, data in files.items():
        try:
            path.write_bytes(data)
        except OSError as e:
            raise InvalidInput(f"cannot write {path}: {e.strerror}", code="invalid_output") from None
    if to_stdout:
        sys.stdout.buffer.write(audio_bytes)
        sys.stdout.buffer.flush()
    label = " (TEST VOICE: random weights, not speech)" if result.test_voice else ""
    print(
        f"wrote {'stdout' if to_stdout else out} ({req.format}, {result.duration_seconds:.2f} s, {result.voice}, "
        f"{result.timings.get('total_s', 0):.2f} s to synthesize){label}",
        file=sys.stderr,
    )
    return 0


def _usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: sambert-lambda <command> [options]", "", "commands:"]
    lines += [f"  {n.ljust(width)}  {h}" for n, (_, h) in COMMANDS.items()]
    lines += ["", "Run 'sambert-lambda <command> --help' for a command's options."]
    return "\n".join(lines)


def _import_command(module_name: str):
    """The command's module; dev tools (``tools.*``) are found next to ``function/`` in a checkout, else None."""
    if not module_name.startswith("tools."):
        return importlib.import_module(module_name)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name not in ("tools", module_name):
            raise
    root = CHECKOUT_ROOT
    if not (root / "tools" / "__init__.py").is_file():
        return None
    sys.path.insert(0, str(root))
    return importlib.import_module(module_name)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from sambert_lambda import __version__

        print(__version__)
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"sambert-lambda: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, help_text = COMMANDS[name]
    module = _import_command(module_name)
    if module is None:
        print(
            f"sambert-lambda {name}: error [dev_tool_unavailable]: '{name}' is a developer tool ({module_name}) "
            "that runs from a source checkout; it is not part of the installed package",
            file=sys.stderr,
        )
        return 1
    parser = argparse.ArgumentParser(prog=f"sambert-lambda {name}", description=help_text)
    module.add_arguments(parser)
    args = parser.parse_args(rest)
    from sambert_lambda.errors import TTSError

    try:
        return int(module.run(args) or 0)
    except TTSError as e:
        print(f"sambert-lambda {name}: error [{e.code}]: {e.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as e:  # a path the command could not read or write, a port it could not bind
        where = f": {e.filename}" if e.filename else ""
        print(f"sambert-lambda {name}: error [io_error]: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 (a bug: one line like every other error, never a traceback)
        print(f"sambert-lambda {name}: error [internal_error]: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
