"""Run as a script in a FRESH interpreter by the bench: process start -> ready (one voice), then one synthesis.

argv: text, mode, backend, onnx_dir
  mode    "text" (frontend + engine) or "symbols" (text holds symbol lines, newline-separated)
  backend "torch" (Synthesizer + ModelStore, settings from TTS_* env) or "onnx" (OnnxVoice, never imports torch)
Prints one JSON object per line on stdout: {"stage": "ready", ...} then {"stage": "synth", ...}.
"""

import time

T0 = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


def _torch_path(text: str, mode: str):
    t = time.perf_counter()
    import torch  # noqa: F401  - the native engine's import cost is part of cold start

    import sambert_lambda.engine.torch.hifigan
    import sambert_lambda.engine.torch.sambert
    import sambert_lambda.engine.torch.voice  # noqa: F401
    from sambert_lambda.settings import load_settings
    from sambert_lambda.synthesizer import Synthesizer

    if mode == "text":
        from sambert_lambda.frontend.pipeline import get_frontend
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    settings = load_settings()
    from sambert_lambda.engine.torch.voice import ModelStore

    store = ModelStore.from_settings(settings)
    frontend = get_frontend() if mode == "text" else None
    synth = Synthesizer(
        store, frontend, settings
    )  # the frontend object is built here; warmed after the voice
    synth.load()
    t_load = time.perf_counter() - t
    ready(t_import, t_load, warm(frontend))
    if text:
        t = time.perf_counter()
        res = synth.synthesize(text) if mode == "text" else synth.synthesize_symbols(text.split("\n"))
        done(time.perf_counter() - t, res.duration_seconds)


def _onnx_path(text: str, mode: str, onnx_dir: str):
    t = time.perf_counter()
    from sambert_lambda.engine.onnx.voice import OnnxVoice
    from sambert_lambda.engine.streaming import sequential
    from sambert_lambda.types import Controls

    if mode == "text":
        from sambert_lambda.frontend.pipeline import get_frontend
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    model_dir = os.environ["TTS_MODEL_DIR"]
    name = os.environ["TTS_VOICES"].split(",")[0]
    threads = int(os.environ.get("TTS_THREADS", "1") or 1)
    voice = OnnxVoice.load(os.path.join(model_dir, "voices", name), onnx_dir, name, threads=threads)
    t_load = time.perf_counter() - t
    frontend = get_frontend() if mode == "text" else None
    ready(t_import, t_load, warm(frontend))
    if text:
        t = time.perf_counter()
        if frontend is not None:
            segs = frontend.segments(text, ssml=False, emotion="neutral", speaker="F7", controls=Controls())
            lines = [(s.symbols, s.controls) for s in segs if s.symbols]
            pauses = sum(int(voice.sample_rate * s.pause_after_ms / 1000) for s in segs)
        else:
            lines, pauses = [(x, Controls()) for x in text.split("\n") if x.strip()], 0
        samples = sum(len(p.wav) for p in sequential(voice, lines, voice.vocoder.vocode))
        done(time.perf_counter() - t, (samples + pauses) / voice.sample_rate)
    assert "torch" not in sys.modules, "the ONNX path imported torch"


def warm(frontend) -> float:
    """A handler warms its frontend at init (dictionaries load lazily on first use); so does this measurement."""
    t = time.perf_counter()
    if frontend is not None:
        from sambert_lambda.types import Controls

        frontend.segments("你好。", ssml=False, emotion="neutral", speaker="F7", controls=Controls())
    return time.perf_counter() - t


def _rss_mb() -> float:
    """Peak RSS of this process image: VmHWM (ru_maxrss would carry the forking parent's peak across exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def ready(t_import: float, t_load: float, t_warm: float) -> None:
    emit(
        stage="ready", import_s=t_import, load_s=t_load, frontend_warm_s=t_warm,
        in_process_s=time.perf_counter() - T0, rss_ready_mb=_rss_mb(),
    )  # fmt: skip


def done(synth_s: float, audio_s: float) -> None:
    emit(
        stage="synth",
        synth_s=synth_s,
        audio_s=audio_s,
        peak_rss_mb=_rss_mb(),
        torch_imported="torch" in sys.modules,
    )


def main() -> None:
    text, mode = sys.argv[1], sys.argv[2]
    backend = sys.argv[3] if len(sys.argv) > 3 else "torch"
    if backend == "onnx":
        _onnx_path(text, mode, sys.argv[4])
    else:
        _torch_path(text, mode)


main()
