"""``sambert-lambda bench``: one reproducible JSON performance report on stdout.

Everything runs on a random-weight *test voice* of the real size (real 16k configs: the same compute as the
published model). Nothing here is asserted in tests; these are measurements. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sambert_lambda import __version__
from sambert_lambda.types import Controls, Segment
from tools.perf import cost as costmodel

VOICE = "zhitian_emo"
COLD_RUNS = 3  # fresh processes timed for cold_start_s (the median)
# Plain Mandarin prose written for this benchmark (no sources): long enough for a ~30 s cut.
PASSAGE = (
    "今天早上的天气非常好，我们一起去公园散步。湖边的柳树已经发芽了，风吹过来的时候，水面上泛起一层层细小的波纹。"
    "几个孩子在草地上放风筝，老人们坐在长椅上聊天，还有人在练习太极拳。"
    "中午我们在附近的小饭馆吃了面条和饺子，味道很不错，价格也不贵。"
    "下午回家以后，我把这几天拍的照片整理了一下，挑出最喜欢的几张发给了朋友。"
    "晚上打算早点休息，明天还要去图书馆还书，顺便借几本关于历史和旅行的新书。"
    "如果周末天气还是这么好，我们准备带上帐篷，到城外的山里住一个晚上，看看星星。"
)
TEXT_20 = "你好，欢迎使用语音合成服务，祝你今天愉快。"  # 20 characters without punctuation
TARGET_SECONDS = (3, 10, 30)


# ----------------------------------------------------------------------------------------------- setup
def ensure_voice(size: str, cache_dir: Path) -> Path:
    """A test voice of ``size`` under ``cache_dir`` (written once, reused; never committed)."""
    model_dir = cache_dir / f"testvoice-{size}"
    if not (model_dir / "voices" / VOICE / "voc" / "config.yaml").is_file():
        from sambert_lambda.engine.testvoice import make_test_voice

        print(f"bench: writing a {size} test voice to {model_dir} (one-off)", file=sys.stderr)
        make_test_voice(model_dir, size=size, voices=1, seed=0)
    return model_dir


class Harness:
    """The production path, timed: a :class:`~sambert_lambda.synthesizer.Synthesizer` built by the same factory the
    Lambda uses (``Synthesizer.from_settings``: frontend, ``engine.voice.open_store``, the backend's voice), one per
    thread count. A request is ``prepare`` (validation + frontend) then ``render_iter`` (the engine's chunks, pipelined
    across sentences on two or more threads), exactly what the streaming route runs and what ``synthesize`` joins."""

    def __init__(self, model_dir: Path, backend: str = "onnx", onnx_root: Path | None = None,
                 precision: str = "fp32"):  # fmt: skip
        self.model_dir, self.backend, self.onnx_root, self.precision = model_dir, backend, onnx_root, precision
        self._synths: dict[int, object] = {}
        self.synth = self.synthesizer(1)
        self.frontend = self.synth.frontend
        self.sr = self.synth.store.voice(VOICE).sample_rate

    def settings(self, threads: int, **extra):
        from sambert_lambda.settings import load_settings

        return load_settings(model_dir=str(self.model_dir), voices=VOICE, backend=self.backend, threads=threads,
                             onnx_dir=str(self.onnx_root) if self.onnx_root else None,
                             vocoder_precision=self.precision, warmup=False, **extra)  # fmt: skip

    def synthesizer(self, threads: int):
        """The Synthesizer on ``threads`` threads (ONNX sessions are built per thread count; torch's count is
        process-wide and set again before each torch run)."""
        if threads not in self._synths:
            from sambert_lambda.synthesizer import Synthesizer

            synth = Synthesizer.from_settings(self.settings(threads))
            synth.load()
            self._synths[threads] = synth
        return self._synths[threads]

    def segments(self, text: str) -> list[Segment]:
        return self.synth.prepare(text)[1]

    # ---- one request
    def run(self, text: str, threads: int, pipelined: bool | None = None) -> dict:
        """One request of ``text`` on ``threads`` threads; seconds per stage and audio seconds. ``pipelined``: None =
        what production does (pipelined from two threads on), else forced on or off for an A/B."""
        synth = self.synthesizer(threads)
        if self.backend == "torch":
            from sambert_lambda.engine.runtime import configure

            configure(threads)
        voice = synth.store.voice(VOICE)
        voice.pipelined = pipelined
        parts: list[tuple[float, float]] = []  # (acoustic, vocoder) thread CPU seconds per sentence
        real = voice.synthesize

        def recording(*args, **kwargs):  # passes the chunks through unchanged; one (acoustic, vocoder) per unit
            for chunk in real(*args, **kwargs):
                if chunk.offset == 0:
                    parts.append((chunk.timings.get("acoustic_cpu_s", 0.0), 0.0))
                am, voc = parts[-1]
                parts[-1] = (am, voc + chunk.timings.get("vocoder_cpu_s", 0.0))
                yield chunk

        voice.synthesize = recording
        timings: dict[str, float] = {}
        t0, c0 = time.perf_counter(), _process_cpu()
        name, segs = synth.prepare(text)
        t_front = time.perf_counter() - t0
        samples, first = 0, None
        try:
            for audio, _placed in synth.render_iter(segs, name, timings):
                if first is None and len(audio):  # the first samples a listener gets
                    first = time.perf_counter() - t0
                samples += len(audio)
        finally:
            voice.pipelined = None
            del voice.synthesize
        total = time.perf_counter() - t0
        cpu = _process_cpu() - c0
        audio_s = samples / self.sr
        t_am, t_voc = timings.get("acoustic_s", 0.0), timings.get("vocoder_s", 0.0)
        c_am, c_voc = timings.get("acoustic_cpu_s", 0.0), timings.get("vocoder_cpu_s", 0.0)
        is_pipelined = voice.threads >= 2 if pipelined is None else pipelined
        out = {
            "chars": len(text),
            "segments": sum(1 for s in segs if s.symbols),
            "pipelined": is_pipelined,
            "audio_s": round(audio_s, 3),
            "frontend_s": round(t_front, 4),
            "acoustic_s": round(t_am, 4),
            "vocoder_s": round(t_voc, 4),
            "total_s": round(total, 4),
            "first_audio_s": round(first or total, 4),
            "rtf": round(total / audio_s, 4) if audio_s else None,
            "rtf_frontend": round(t_front / audio_s, 4) if audio_s else None,
            "rtf_acoustic": round(t_am / audio_s, 4) if audio_s else None,
            "rtf_vocoder": round(t_voc / audio_s, 4) if audio_s else None,
            # CPU seconds (all threads of the process) per audio second: robust to other load on the machine
            "cpu_s": round(cpu, 4),
            "rtf_cpu": round(cpu / audio_s, 4) if audio_s else None,
        }
        if threads == 1 and audio_s:  # per-stage thread CPU time is the whole stage only on one thread
            out["rtf_acoustic_cpu"] = round(c_am / audio_s, 4)
            out["rtf_vocoder_cpu"] = round(c_voc / audio_s, 4)
        if is_pipelined and audio_s and parts:
            # the wall time free cores would take: replay the engine's schedule with the CPU times
            out["rtf_cpu_schedule"] = round((t_front + pipeline_makespan(parts, max(2, threads))) / audio_s, 4)
        return out

    def timed(self, text: str, threads: int, repeats: int, pipelined: bool | None = None) -> dict:
        """The run with the median total of ``repeats`` (after one warm-up run)."""
        self.run(text, threads, pipelined)
        runs = sorted(
            (self.run(text, threads, pipelined) for _ in range(repeats)), key=lambda r: r["total_s"]
        )
        out = runs[len(runs) // 2]
        out["repeats"] = repeats
        return out


def mixed_lengths(h: Harness, requests: int = 24, seed: int = 7) -> dict:
    """Requests of varied lengths in one warm process, as real traffic is, 1 thread, nothing repeated.

    Same-text repeats (the RTF table) reuse every per-shape kernel the CPU backend built on the first run; varied
    lengths do not, unless the engine keeps its shapes fixed. Reports RTF over all requests but the first and the
    RSS growth of this process across them (a kernel cache that grows per new length shows up here).
    """
    import random

    import psutil

    proc = psutil.Process()
    rng = random.Random(seed)  # noqa: S311 - reproducible request lengths, not security
    lengths = [rng.randint(6, min(120, len(PASSAGE))) for _ in range(requests)]
    rss0 = proc.memory_info().rss
    runs = []
    for n in lengths:
        start = rng.randint(0, len(PASSAGE) - n)
        runs.append(h.run(PASSAGE[start : start + n], threads=1))
    tail = runs[1:]
    audio = sum(r["audio_s"] for r in tail)
    return {
        "requests": requests,
        "chars_min_max": [min(lengths), max(lengths)],
        "audio_s": round(audio, 2),
        "rtf_1t": round(sum(r["total_s"] for r in tail) / audio, 4),
        "rtf_1t_cpu": round(sum(r["cpu_s"] for r in tail) / audio, 4),
        "rss_growth_mb": round((proc.memory_info().rss - rss0) / 2**20, 1),
    }


def texts_for_targets(h: Harness, targets=TARGET_SECONDS) -> dict[int, str]:
    """Cut PASSAGE so each text gives about ``target`` seconds with this voice's duration calibration."""
    probe = PASSAGE[:60]
    r = h.run(probe, threads=1)
    s_per_char = r["audio_s"] / len(probe)
    out = {}
    for target in targets:
        n = max(4, min(len(PASSAGE), round(target / s_per_char)))
        out[target] = PASSAGE[:n]
    return out


def pipeline_makespan(parts: list[tuple[float, float]], workers: int = 2) -> float:
    """Finish time of the engine's schedule from two threads on (``Voice._pipelined``): each unit whole (acoustic,
    then vocoder) on one of ``workers`` threads, at most ``workers`` units in flight, the next one launched when the
    oldest in flight is done (units are handed out in order)."""
    flight: list[float] = []  # finish times of the units in flight, oldest first
    now = 0.0
    for a, b in parts:
        if len(flight) >= workers:
            now = max(now, flight.pop(0))
        flight.append(now + a + b)
    return max(flight, default=0.0)


def _process_cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


# ----------------------------------------------------------------------------------------------- report
def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _optional(fn: Callable[[], object]) -> object:
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - an optional section reports its failure instead of aborting the bench
        return {"error": f"{type(e).__name__}: {e}"[:300]}


def _image_size(model_dir: Path) -> dict:
    """The measured image sizes of the last ``scripts/image-test`` run when there is one, else the estimate from
    installing the lock (``tools.image_size``; no Docker)."""
    from tools import image_size

    measured = image_size.measured_report()
    if measured is not None:
        return measured
    return {"source": "tools.image_size estimate (no scripts/image-test report)",
            **image_size.measure(model_dir=model_dir)}


def _bf16_snr(h: Harness, text: str) -> float:
    """Waveform SNR of the bf16 vocoder against fp32 on the ~3 s text (the lossy option's error budget)."""
    from sambert_lambda.engine.torch.quantize import snr_db

    fp32 = Harness(h.model_dir, "torch", None, "fp32").synthesizer(1).synthesize(text).audio
    bf16 = Harness(h.model_dir, "torch", None, "bf16").synthesizer(1).synthesize(text).audio
    return round(snr_db(fp32, bf16), 2)


def _vocoder_layout_ab(onnx_dir: Path, sample_rate: int, rounds: int, chunks: int = 4) -> dict:
    """In-process A/B of the streaming vocoder's two graphs on the same mel: the plain one and the blocked-layout
    copy this CPU runs (engine.torch.onnx_nchwc). Thread CPU seconds per audio second, median of interleaved
    rounds of ``chunks`` full chunks each."""
    from sambert_lambda.engine.onnx.vocoder import OnnxVocoder

    auto = OnnxVocoder(onnx_dir / "voc.onnx", threads=1)
    plain = OnnxVocoder(onnx_dir / "voc.onnx", threads=1, layout="plain")
    out: dict = {"graph": auto.graph}
    if not auto.streaming or auto.graph == plain.graph:
        return out
    frames = chunks * auto.chunk_frames
    mel = (np.random.default_rng(0).standard_normal((frames, auto.in_channels)) * 1.5).astype(np.float32)
    audio_s = frames * auto.hop_size / sample_rate
    times: dict[str, list[float]] = {"plain": [], "blocked": []}
    same = float(np.max(np.abs(auto.vocode(mel) - plain.vocode(mel))))  # also the warm-up of both
    for _ in range(rounds):
        for key, voc in (("plain", plain), ("blocked", auto)):
            t = time.thread_time()
            voc.vocode(mel)
            times[key].append(time.thread_time() - t)
    med = {k: statistics.median(v) / audio_s for k, v in times.items()}
    out.update(plain_rtf_cpu=round(med["plain"], 4), blocked_rtf_cpu=round(med["blocked"], 4),
               ratio=round(med["blocked"] / med["plain"], 3), max_abs_diff=same, rounds=rounds)  # fmt: skip
    return out


def _api_load_check(n: int) -> object:
    from tools.loadcheck import api_load_check

    return api_load_check(n=n)


def _frontend_latency(h: Harness, texts: dict[int, str]) -> dict:
    import subprocess

    lat = {}
    for target, text in texts.items():
        t = time.perf_counter()
        segs = h.frontend.segments(text, ssml=False, emotion="neutral", speaker="F7", controls=Controls())
        dt = time.perf_counter() - t
        lat[f"{target}s_text"] = {"chars": len(text), "sentences": len(segs), "ms": round(1000 * dt, 2)}
    code = (
        "import time; t=time.perf_counter(); from sambert_lambda.frontend.pipeline import get_frontend; "
        "f=get_frontend(); f.segments('你好，世界。'); print(time.perf_counter()-t)"
    )
    cmd = [sys.executable, "-c", code]  # fixed interpreter and code of our own
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    cold = float(res.stdout.strip()) if res.returncode == 0 else None
    return {"sentence_latency": lat, "cold_start_s": cold}


def build_report(args: argparse.Namespace) -> dict:
    import torch

    from sambert_lambda.engine.runtime import visible_cpus
    from sambert_lambda.settings import Settings
    from tools.perf import coldstart, flops, probe

    if args.backend is None:
        args.backend = Settings.model_fields["backend"].default
    cache = Path(args.cache_dir)
    model_dir = Path(args.model_dir) if args.model_dir else ensure_voice(args.size, cache)
    repeats = 1 if args.quick else 3
    report: dict = {
        "bench_version": 1,
        "sambert_lambda": __version__,
        "test_voice": True,
        "voice_size": args.size if not args.model_dir else "given",
        "backend": args.backend,
        "vocoder_precision": args.precision,
        "path": "Synthesizer.from_settings -> prepare + render_iter (the production path)",
        "machine": {
            "cpu": _cpu_model(),
            "vcpus": visible_cpus(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "loadavg_start": _loadavg(),
        },
    }
    onnx_root = None
    if args.backend == "onnx":
        from sambert_lambda.engine.torch.onnx_export import export_voice_onnx
        from sambert_lambda.engine.voice import ONNX_SUBDIR

        # a generated voice carries its export in its own onnx/ (found without TTS_ONNX_DIR, as by the API load
        # check); a given model directory stays untouched
        onnx_root = cache / f"onnx-{model_dir.name}" if args.model_dir else model_dir / ONNX_SUBDIR
        export_voice_onnx(model_dir / "voices" / VOICE, onnx_root / VOICE)
    h = Harness(model_dir, args.backend, onnx_root, args.precision)
    texts = texts_for_targets(h)

    # fresh subprocess: cold start (the service's init path), then a ~10 s utterance for peak RSS
    env = {"TTS_MODEL_DIR": str(model_dir), "TTS_VOICES": VOICE, "TTS_THREADS": "1", "TTS_BACKEND": args.backend,
           "TTS_ONNX_DIR": str(onnx_root or ""), "TTS_VOCODER_PRECISION": args.precision}  # fmt: skip
    # one sample of a cold start on a shared 2-core VM spreads by +-20%: the median of three fresh processes
    cold = coldstart.measure(env, texts[10])
    runs = [dict(cold), *(coldstart.measure(env) for _ in range(COLD_RUNS - 1))]  # a copy: cold gets the medians
    phases = ("cold_start_s", "import_s", "load_s", "frontend_warm_s", "in_process_s", "rss_ready_mb")
    cold.update({k: statistics.median(r[k] for r in runs) for k in phases})
    report.update(
        cold_start_s=round(cold["cold_start_s"], 3),
        import_s=round(cold["import_s"], 3),
        load_s=round(cold["load_s"], 3),
        peak_rss_mb_10s=round(cold["peak_rss_mb"], 1),
    )
    report["cold_start_detail"] = {k: round(v, 3) if isinstance(v, float) else v for k, v in cold.items()}
    report["cold_start_detail"]["runs"] = [{k: round(r[k], 3) for k in phases} for r in runs]
    if args.precision == "bf16":
        report["bf16_vocoder_wav_snr_db"] = _optional(lambda: _bf16_snr(h, texts[3]))
    report["cold_start_detail"]["note"] = (
        "cold_start_s = process start -> ready (imports, voice load, the warm-up synthesis), timed by the parent, "
        f"and its phases: medians of {COLD_RUNS} fresh processes; peak RSS = VmHWM of the first, which then "
        "synthesizes the 10 s text"
    )

    # RTF per utterance length and thread count
    rtf: dict = {}
    for target, text in texts.items():
        if args.quick and target == 30:
            continue
        for threads in (1, 2):  # as production runs them: pipelined across sentences from two threads on
            rtf[f"{target}s_{threads}t"] = h.timed(text, threads, repeats)
        rtf[f"{target}s_2t_sequential"] = h.timed(text, 2, repeats, pipelined=False)  # the A/B of pipelining
    report["rtf_1t_10s"] = rtf["10s_1t"]["rtf"]
    report["rtf_2t_10s"] = rtf["10s_2t"]["rtf"]
    report["rtf_2t_10s_sequential"] = rtf["10s_2t_sequential"]["rtf"]
    report["rtf"] = rtf
    # CPU-time based figures: what an otherwise idle core would give (the bench machine may be shared)
    report["rtf_1t_10s_cpu"] = rtf["10s_1t"]["rtf_cpu"]
    report["rtf_2t_10s_cpu_schedule"] = rtf["10s_2t"].get("rtf_cpu_schedule")
    first = h.timed(TEXT_20, 1, repeats)
    report["first_audio_ms_20chars"] = round(1000 * first["first_audio_s"], 1)
    report["first_audio_detail"] = first
    # the same through real HTTP: `serve` under uvicorn, the streamed /v1/audio/speech read chunk by chunk
    from tools.perf import http_stream

    report["http_stream"] = _optional(lambda: http_stream.measure(
        model_dir, {"20_chars": TEXT_20, "500_chars": (PASSAGE * 3)[:500]}, onnx_dir=onnx_root, backend=args.backend,
        voice=VOICE, repeats=repeats))  # fmt: skip
    report["mixed_lengths"] = mixed_lengths(h, requests=12 if args.quick else 24)

    if args.backend == "onnx" and args.precision == "fp32":
        report["vocoder_layout_ab"] = _optional(
            lambda: _vocoder_layout_ab(onnx_root / VOICE, h.sr, rounds=repeats + 4)
        )

    # vocoder arithmetic and the fp32 floor on this CPU
    import yaml

    voc_params = yaml.safe_load((model_dir / "voices" / VOICE / "voc" / "config.yaml").read_text())["Model"][
        "Generator"
    ]["params"]
    gflop = flops.vocoder_gflop_per_audio_second(voc_params, h.sr)
    probe_1t = probe.matmul_gflops(1)
    probe_2t = probe.matmul_gflops(2)
    report["vocoder_gflop_per_audio_s"] = round(gflop, 3)
    report["vocoder_gflop_by_layer"] = {
        k: round(2 * v / 1e9, 3) for k, v in flops.vocoder_macs_per_audio_second(voc_params, h.sr).items()
    }
    report["matmul_probe_gflops"] = {"1t": round(probe_1t, 1), "2t": round(probe_2t, 1)}
    report["floor_rtf_1t"] = round(gflop / probe_1t, 4)
    voc_rtf_1t = rtf["10s_1t"]["rtf_vocoder"]
    report["vocoder_rtf_1t_10s"] = voc_rtf_1t
    report["vocoder_achieved_gflops_1t"] = round(gflop / voc_rtf_1t, 1) if voc_rtf_1t else None
    report["rtf_1t_over_floor"] = round(report["rtf_1t_10s"] / report["floor_rtf_1t"], 2)

    # cost
    a = costmodel.CostAssumptions()
    report["cost_per_million_chars_usd"] = {
        arch: costmodel.best_memory(
            report["rtf_1t_10s"], report["rtf_2t_10s"], report["peak_rss_mb_10s"], arch, a
        )["usd"]
        for arch in ("x86_64", "arm64")
    }
    if report["rtf_1t_10s_cpu"]:
        report["cost_per_million_chars_usd_cpu_basis"] = {
            arch: costmodel.best_memory(
                report["rtf_1t_10s_cpu"],
                report["rtf_2t_10s_cpu_schedule"],
                report["peak_rss_mb_10s"],
                arch,
                a,
            )["usd"]
            for arch in ("x86_64", "arm64")
        }
    report["cost_detail"] = {
        arch: costmodel.best_memory(
            report["rtf_1t_10s"], report["rtf_2t_10s"], report["peak_rss_mb_10s"], arch, a
        )
        for arch in ("x86_64", "arm64")
    }
    report["cost_assumptions"] = {
        **a.as_dict(),
        "price_per_gb_s": costmodel.PRICE_PER_GB_S,
        "price_per_request_usd": costmodel.PRICE_PER_REQUEST,
        "vcpu_per_mb": f"1 vCPU per {costmodel.MB_PER_VCPU} MB (linear, max 6)",
        "rtf_used": "10 s utterance; RTF/share below 1 vCPU, RTF_1t from 1-2 vCPU, min(RTF_1t, RTF_2t) from 2 vCPU",
        "arm64_rtf": "assumed equal to the x86_64 RTF measured here (arm64 cannot be measured on this machine)",
        "memory_floor": "peak_rss_mb_10s + rss_headroom_mb",
        "init_billing": "cold starts not included (amortized away at volume); see cold_start_s",
        "free_tier": "ignored",
    }

    report["import_profile"] = {
        m: _optional(lambda m=m: coldstart.import_profile(m))
        for m in ("sambert_lambda.api.app", "sambert_lambda.storage", "sambert_lambda.engine.torch.voice")
    }
    report["frontend"] = _optional(lambda: _frontend_latency(h, texts))
    report["image_size_mb"] = _optional(lambda: _image_size(model_dir))
    report["api_load_check"] = _optional(lambda: _api_load_check(20 if args.quick else 200))
    report["machine"]["loadavg_end"] = _loadavg()
    report["goals"] = goals(report)
    return report


GOALS = {  # the engine's acceptance goals: report key (dotted for nested) -> goal; lower is better for all
    "cold_start_s": 1.0,
    "rtf_1t_10s": 0.22,
    "rtf_1t_over_floor": 1.5,
    "mixed_lengths.rtf_1t": 0.24,
    "peak_rss_mb_10s": 400,
    "first_audio_ms_20chars": 400,
    "cost_per_million_chars_usd.arm64": 1.25,
}
TARGETS = {"rtf_2t_10s": 0.13}  # aimed at, not part of the acceptance list


def _lookup(report: dict, key: str):
    v: object = report
    for part in key.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    return v


def goals(report: dict) -> dict:
    """Each goal with the measured value, whether it is met and the ratio to it; a goal whose value the report
    lacks is listed with ``value`` None and ``met`` False, never dropped."""
    out = {}
    for table, acceptance in ((GOALS, True), (TARGETS, False)):
        for key, goal in table.items():
            v = _lookup(report, key)
            known = isinstance(v, (int, float)) and not isinstance(v, bool)
            out[key] = {"value": v if known else None, "goal": goal, "met": bool(known and v <= goal),
                        "ratio_to_goal": round(v / goal, 2) if known else None, "acceptance": acceptance}
    return out


# ----------------------------------------------------------------------------------------------- CLI
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quick", action="store_true", help="one timed run per case, skip the 30 s utterance")
    p.add_argument("--size", choices=("real", "tiny"), default="real", help="test-voice size (default: real)")
    p.add_argument("--out", default=None, help="also write the JSON report to this file")
    p.add_argument(
        "--model-dir", default=None, help="use this model directory instead of a generated test voice"
    )
    p.add_argument(
        "--cache-dir", default="var/bench", help="where the generated test voice is kept (not committed)"
    )
    p.add_argument(
        "--backend", choices=("onnx", "torch"), default=None,
        help="engine (default: the TTS_BACKEND default): onnx (ONNX Runtime + numpy, no torch) or torch",
    )  # fmt: skip
    p.add_argument(
        "--precision", choices=("fp32", "bf16"), default="fp32",
        help="vocoder precision; bf16 (lossy, opt-in) needs --backend torch",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    # stdout carries exactly one JSON document: anything else (library prints, C++ warnings) goes to stderr
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        report = build_report(args)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    text = json.dumps(report, indent=2, ensure_ascii=False, default=float)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0
