"""Run as a script in a FRESH interpreter by the bench: process start -> ready (one voice), then one synthesis.

argv: [text-or-empty, mode]   mode = "text" (frontend + engine) or "symbols" (text holds symbol lines, '\\n'-separated)
Prints one JSON object per line on stdout: {"stage": "ready", ...} then {"stage": "synth", ...}.
"""

import time

T0 = time.perf_counter()

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


def main() -> None:
    text, mode = sys.argv[1], sys.argv[2]
    t = time.perf_counter()
    import torch  # noqa: F401  - the native engine's import cost is part of cold start

    import sambert_lambda.engine.hifigan
    import sambert_lambda.engine.sambert
    import sambert_lambda.engine.voice  # noqa: F401
    from sambert_lambda.settings import load_settings
    from sambert_lambda.synthesizer import Synthesizer

    frontend = None
    if mode == "text":
        from sambert_lambda.frontend.pipeline import get_frontend
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    settings = load_settings()
    from sambert_lambda.engine.voice import ModelStore

    store = ModelStore.from_settings(settings)
    if mode == "text":
        frontend = get_frontend(settings.frontend)
    synth = Synthesizer(store, frontend, settings)
    synth.load()
    t_load = time.perf_counter() - t
    emit(stage="ready", import_s=t_import, load_s=t_load, in_process_s=time.perf_counter() - T0)
    if text:
        t = time.perf_counter()
        if mode == "text":
            res = synth.synthesize(text)
        else:
            res = synth.synthesize_symbols(text.split("\n"))
        emit(
            stage="synth",
            synth_s=time.perf_counter() - t,
            audio_s=res.duration_seconds,
            peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        )


main()
