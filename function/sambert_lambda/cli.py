"""The one command-line entry point: ``sambert-lambda <command> ...`` (also ``python -m sambert_lambda``).

Each command lives in the module that does the work. That module exports ``add_arguments(parser)`` and
``run(args) -> int``; it is imported only when its command is chosen, so ``--help`` and light commands never
pay for torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

CHECKOUT_ROOT = Path(__file__).resolve().parents[2]  # <checkout>/function/sambert_lambda/cli.py

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "synth": ("sambert_lambda.synthesizer", "synthesize text (or SSML, or symbol lines) to an audio file"),
    "synth-symbols": ("sambert_lambda.engine.cli", "run the engine on KAN-TTS symbol lines and dump dur/mel/wav/pcm"),
    "analyze": ("sambert_lambda.frontend.cli_analyze", "text lines on stdin -> JSON analysis (normalized, words)"),
    "symbols": ("sambert_lambda.frontend.cli_symbols", "text lines on stdin -> ttsfrd-style symbol lines"),
    "bench-frontend": ("sambert_lambda.frontend.bench", "score the frontend on public benchmark data"),
    "frontend-cache": ("sambert_lambda.frontend.cli_cache", "bake the frontend dictionary cache (image build time)"),
    "make-test-voice": ("sambert_lambda.engine.testvoice", "write random-weight voices in the ModelScope layout"),
    "bake-model": ("sambert_lambda.engine.bake", "download the model into a ModelScope cache (image build time)"),
    "batch": ("sambert_lambda.batch", "run the S3 batch code path on a local file"),
    "serve": ("sambert_lambda.api.serve", "serve the HTTP API with uvicorn on 127.0.0.1"),
    "bench": ("tools.bench", "performance report as JSON on stdout (from a source checkout only)"),
    "export-onnx": ("sambert_lambda.engine.torch.onnx_export", "export voices for the torch-free ONNX engine (bake time)"),
}


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


if __name__ == "__main__":
    raise SystemExit(main())
