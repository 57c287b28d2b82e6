"""``sambert-lambda bake-model``: put the model into a ModelScope cache at image build time, then verify it.

``modelscope.snapshot_download(model_id, revision=..., cache_dir=DIR)`` writes ``DIR/<owner>/<name>``; at run time
``MODELSCOPE_CACHE=DIR`` (read-only is fine) lets :class:`~sambert_lambda.engine.voice.ModelStore` find it.
``modelscope`` is not a dependency of this project: install it in the build stage only (``pip install modelscope``).
``--test-voice`` writes random-weight voices into the same place instead, for offline builds and CI.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from sambert_lambda.errors import ModelError, TTSError


def _snapshot_download():
    try:
        module = importlib.import_module("modelscope")
    except ImportError as e:
        raise ModelError(
            f"modelscope is not installed ({e}); install it in the image build stage: pip install modelscope"
        ) from None
    fn = getattr(module, "snapshot_download", None)
    if fn is None:
        try:
            fn = importlib.import_module("modelscope.hub.snapshot_download").snapshot_download
        except (ImportError, AttributeError):
            raise ModelError("this modelscope version has no snapshot_download") from None
    return fn


def download(cache: Path, model_id: str, revision: str) -> Path:
    """Download ``model_id`` at ``revision`` into the cache root ``cache``; returns the model directory."""
    snapshot_download = _snapshot_download()
    try:
        path = snapshot_download(model_id, revision=revision, cache_dir=str(cache))
    except TTSError:
        raise
    except Exception as e:  # noqa: BLE001 - any hub/network failure is reported with its reason
        raise ModelError(
            f"download of {model_id}@{revision} failed (is the ModelScope hub reachable?): {type(e).__name__}: {e}"
        ) from None
    return Path(path)


def verify_layout(model_dir: Path, voices: list[str] | None = None) -> list[dict]:
    """Check configuration.json, voices.json and each voice's configs and checkpoints; one summary row per voice."""
    from sambert_lambda.engine.torch.voice import pick_checkpoint
    from sambert_lambda.engine.voice import ModelStore

    store = ModelStore(model_dir, backend="torch", voices=voices)
    rows = []
    for name in store.voice_names:
        vdir = model_dir / "voices" / name
        missing = [
            rel
            for rel in ("audio_config.yaml", "am/config.yaml", "voc/config.yaml")
            if not (vdir / rel).is_file()
        ]
        if missing:
            raise ModelError(f"voice {name} in {model_dir} lacks {', '.join(missing)}")
        am, voc = pick_checkpoint(vdir / "am" / "ckpt"), pick_checkpoint(vdir / "voc" / "ckpt")
        rows.append(
            {"voice": name, "am": am.name, "voc": voc.name, "bytes": am.stat().st_size + voc.stat().st_size}
        )
    return rows


def testvoice_dir(cache: Path, model_id: str) -> Path:
    """Where ``--test-voice`` writes: the path snapshot_download(cache_dir=cache) would use."""
    owner, _, name = model_id.partition("/")
    return cache / owner / name.replace(".", "___")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from sambert_lambda.settings import DEFAULT_MODEL_ID

    parser.add_argument(
        "--cache", type=Path, required=True, help="ModelScope cache root (MODELSCOPE_CACHE at run time)"
    )
    parser.add_argument(
        "--model-id", default=DEFAULT_MODEL_ID, help=f"ModelScope model id (default {DEFAULT_MODEL_ID})"
    )
    parser.add_argument(
        "--revision", default="master", help="model revision (pin a tag for reproducible images)"
    )
    parser.add_argument(
        "--voices", nargs="+", default=None, help="voices that must be present (default: all listed)"
    )
    parser.add_argument(
        "--test-voice", action="store_true", help="write random-weight test voices instead (offline)"
    )
    parser.add_argument(
        "--test-voice-size", choices=["tiny", "real"], default="real", help="size for --test-voice"
    )
    parser.add_argument(
        "--load", action="store_true", help="also load every voice once (catches bad checkpoints)"
    )


def run(args: argparse.Namespace) -> int:
    if args.model_id.count("/") != 1:
        raise ModelError(f"--model-id must look like owner/name, got {args.model_id!r}")
    if args.test_voice:
        from sambert_lambda.engine.testvoice import VOICE_NAMES, make_test_voice

        model_dir = testvoice_dir(args.cache, args.model_id)
        wanted = args.voices or list(VOICE_NAMES)
        unknown = [v for v in wanted if v not in VOICE_NAMES]
        if unknown:
            raise ModelError(f"test voices are {', '.join(VOICE_NAMES)}; unknown: {', '.join(unknown)}")
        count = max(VOICE_NAMES.index(v) for v in wanted) + 1
        make_test_voice(model_dir, size=args.test_voice_size, voices=count)
        source = f"random-weight test voice ({args.test_voice_size})"
    else:
        model_dir = download(args.cache, args.model_id, args.revision)
        source = f"{args.model_id}@{args.revision}"
    rows = verify_layout(model_dir, args.voices)
    if args.load:
        from sambert_lambda.engine.voice import ModelStore

        ModelStore(model_dir, backend="torch", voices=[r["voice"] for r in rows]).load_all()
    print(f"model {source} in {model_dir}")
    for r in rows:
        print(f"  {r['voice']:<12} am/ckpt/{r['am']}  voc/ckpt/{r['voc']}  {r['bytes'] / 1e6:.1f} MB")
    print(
        f"{len(rows)} voice(s) verified{' and loaded' if args.load else ''}; run with MODELSCOPE_CACHE={args.cache}"
    )
    return 0
