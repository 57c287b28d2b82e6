"""Run as a script in a FRESH interpreter by the bench: process start -> ready (one voice), then one synthesis.

argv: text. Everything else comes from the TTS_* environment (TTS_BACKEND, TTS_ONNX_DIR, TTS_MODEL_DIR, TTS_VOICES,
TTS_THREADS), read by the one settings model and turned into an engine by the one factory, as in the Lambda:
``Synthesizer.from_settings`` -> ``load`` -> the service's warm-up synthesis -> ready -> ``synthesize(text)``.
Prints one JSON object per line on stdout: {"stage": "ready", ...} then {"stage": "synth", ...}.
"""

import time

T0 = time.perf_counter()

import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402


def emit(**kw) -> None:
    print(json.dumps(kw), flush=True)


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


def main() -> None:
    text = sys.argv[1] if len(sys.argv) > 1 else ""
    t = time.perf_counter()
    from sambert_lambda.settings import load_settings
    from sambert_lambda.synthesizer import Synthesizer

    t_import = time.perf_counter() - t  # the backend's own imports happen when its voice loads (load_s)
    t = time.perf_counter()
    settings = load_settings()
    synth = Synthesizer.from_settings(settings)
    synth.load()
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    synth.synthesize("你好。")  # the service's warm-up (TTS_WARMUP): lazily built frontend parts, first kernels
    t_warm = time.perf_counter() - t
    emit(stage="ready", import_s=t_import, load_s=t_load, frontend_warm_s=t_warm,
         in_process_s=time.perf_counter() - T0, rss_ready_mb=_rss_mb(), backend=settings.backend)  # fmt: skip
    if text:
        t = time.perf_counter()
        res = synth.synthesize(text)
        emit(stage="synth", synth_s=time.perf_counter() - t, audio_s=res.duration_seconds, peak_rss_mb=_rss_mb(),
             torch_imported="torch" in sys.modules)  # fmt: skip
    if settings.backend == "onnx" and "torch" in sys.modules:
        raise SystemExit("the ONNX path imported torch")


main()
