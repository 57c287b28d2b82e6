"""``sambert-lambda bench-frontend [--data DIR]``: accuracy and speed of the open frontend, as JSON on stdout.

- ``devset`` and ``heldback``: prosodic breaks (P/R/F1 at ≥ #1, ≥ #2, ≥ #3) and surface-tone syllable accuracy on
  the project's own labelled sentences, the development part (``tools/frontend_bench/devset.tsv``) and the held-back
  part that rules are not adjusted on (``heldback.tsv``), reported separately (see ``tools.frontend_bench.prosody``).
- ``cpp``: CPP polyphone accuracy (``DIR/cpp/dev.sent`` + ``dev.lb``; the target character sits between two U+2581
  marks; labels spell ü as ``u:``). Scored on the lexical reading (``lexical``; what CPP labels) and on the surface
  reading that ``analyze`` prints (``surface``; after sandhi and neutral tones). Each G2P strategy asked for with
  ``--strategies`` is scored on the lexical reading.
- ``tn``: the text-normalization suite via ``frontend.bench_tn.score_tn`` (DIR/tn-wetext), when present.
- ``speed``: warm per-sentence latency of text -> symbols, and cold start (a fresh interpreter importing the
  frontend and producing the first sentence), measured in subprocesses.
The data are read from DIR only; nothing from them is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MARK = "\u2581"
TYPICAL = [
    "北京今天天气怎么样？",
    "小朋友们一会儿去公园玩儿，展览馆里有很多老虎。",
    "请用iPhone打开这个app，你好。",
    "上午九点三十分举行，请准时参加。",
    "我在银行上班，每天都要行走很远的路。",
    "这个问题我们明天再讨论吧。",
    "他把2023年的销售额提高了15%。",
    "会议室在三楼，电梯出来往左走。",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=None, help="benchmark folder (with cpp/ and tn-wetext/); optional")
    parser.add_argument("--devset", default=None,
                        help="a labelled prosody/tone file scored instead of the shipped dev and held-back parts")
    parser.add_argument("--errors", action="store_true",
                        help="list the dev-set sentences with any difference (never the held-back ones)")
    parser.add_argument("--limit", type=int, default=0, help="score only the first N CPP sentences (0 = all)")
    parser.add_argument(
        "--strategies",
        default="phrase+g2pm",
        help="comma-separated G2P strategies to compare (phrase+g2pm,g2pm,phrase,pypinyin)",
    )
    parser.add_argument("--skip-speed", action="store_true", help="do not run the speed measurements")


def _canon(p: str) -> str:
    return p.strip().lower().replace("u:", "v").replace("ü", "v")


def load_cpp(folder: Path, limit: int = 0) -> list[tuple[str, str, str, str]]:
    """[(prefix, target char, suffix, label)]"""
    sents = (folder / "dev.sent").read_text("utf-8").splitlines()
    labels = (folder / "dev.lb").read_text("utf-8").splitlines()
    items = []
    for s, lb in zip(sents, labels, strict=False):
        if s.count(MARK) != 2:
            continue
        a = s.index(MARK)
        b = s.index(MARK, a + 1)
        items.append((s[:a], s[a + 1 : b], s[b + 1 :], _canon(lb)))
        if limit and len(items) >= limit:
            break
    return items


def _lexical_pred(g2p, text: str, offset: int) -> str | None:
    from sambert_lambda.frontend.pinyin import segment

    words = segment(text)
    g2p.annotate(text, words)
    pos = 0
    for w in words:
        if pos <= offset < pos + len(w.text):
            return w.pinyin[offset - pos] if w.kind == "zh" and offset - pos < len(w.pinyin) else None
        pos += len(w.text)
    return None


def _surface_pred(frontend, text: str, offset: int) -> str | None:
    result = frontend.analyze(text)
    pos = 0
    for w in result["words"]:
        t = w["text"]
        if pos <= offset < pos + len(t):
            if len(w["pinyin"]) == len(t):
                return w["pinyin"][offset - pos]
            return None  # erhua-merged word: no one-to-one syllable
        pos += len(t)
    return None


def score_cpp(folder: Path, strategies: list[str], limit: int = 0) -> dict:
    from sambert_lambda.frontend.normalize import normalize
    from sambert_lambda.frontend.pinyin import get_g2p
    from sambert_lambda.frontend.pipeline import OpenFrontend

    items = load_cpp(folder, limit)
    prepared = []
    for pre, ch, post, label in items:
        npre, npost = normalize(pre), normalize(post)
        prepared.append((npre + ch + npost, len(npre), label))
    out: dict = {"sentences": len(prepared), "lexical": {}}
    for strat in strategies:
        g2p = get_g2p(strat)
        t0 = time.perf_counter()
        ok = sum(_lexical_pred(g2p, text, off) == label for text, off, label in prepared)
        out["lexical"][strat] = {
            "accuracy": round(ok / max(1, len(prepared)), 4),
            "ms_per_sentence": round((time.perf_counter() - t0) * 1000 / max(1, len(prepared)), 2),
        }
    frontend = OpenFrontend()
    ok = sum(_surface_pred(frontend, text, off) == label for text, off, label in prepared)
    out["surface"] = {
        "accuracy": round(ok / max(1, len(prepared)), 4),
        "note": "analyze output after sandhi/neutral tones vs CPP's lexical labels",
    }
    return out


def measure_speed() -> dict:
    from sambert_lambda.frontend.pipeline import OpenFrontend

    f = OpenFrontend()
    for s in TYPICAL:
        f.symbol_lines(s)
    times, cpu_times = [], []
    for _ in range(5):
        for s in TYPICAL:
            t0, c0 = time.perf_counter(), time.process_time()
            f.symbol_lines(s)
            times.append((time.perf_counter() - t0) * 1000)
            cpu_times.append((time.process_time() - c0) * 1000)
    code = (
        "import time,resource; t=time.perf_counter(); from sambert_lambda.frontend.pipeline import OpenFrontend; "
        "f=OpenFrontend(); f.symbol_lines('北京今天天气怎么样'); r=resource.getrusage(resource.RUSAGE_SELF); "
        "from sambert_lambda.frontend import dict_cache; "
        "print(time.perf_counter()-t, r.ru_utime+r.ru_stime, dict_cache.status().get('mode'))"
    )
    colds, cpus, modes = [], [], []
    for _ in range(3):
        argv = [sys.executable, "-c", code]  # fixed argv, our own interpreter
        res = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
        try:
            wall, cpu, mode = res.stdout.strip().splitlines()[-1].split()
            colds.append(float(wall))
            cpus.append(float(cpu))
            modes.append(mode)
        except (ValueError, IndexError):
            pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "warm_ms_per_sentence_median": round(statistics.median(times), 2),
        "warm_ms_per_sentence_p90": round(sorted(times)[int(0.9 * (len(times) - 1))], 2),
        "warm_cpu_ms_per_sentence_median": round(statistics.median(cpu_times), 2),
        "cold_start_s_median": round(statistics.median(colds), 3) if colds else None,
        "cold_start_s_all": [round(c, 3) for c in colds],
        "cold_start_cpu_s_median": round(statistics.median(cpus), 3) if cpus else None,
        "cold_start_dictionary_cache": sorted(set(modes)),  # "cache": the baked/temp cache was used
        "load_average_1min": load,
        "sentences": len(TYPICAL),
    }


def run(args: argparse.Namespace) -> int:
    from tools.frontend_bench import prosody

    data = Path(args.data) if args.data else None
    if args.devset:
        report: dict = {"devset": prosody.score(path=Path(args.devset), errors=args.errors)}
    else:
        report = {"devset": prosody.score(path=prosody.DEVSET, errors=args.errors),
                  "heldback": prosody.score(path=prosody.HELDBACK)}
    if data is None:
        if not args.skip_speed:
            report["speed"] = measure_speed()
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    if (data / "cpp" / "dev.sent").exists():
        strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
        report["cpp"] = score_cpp(data / "cpp", strategies, args.limit)
    if (data / "tn-wetext").is_dir():
        try:
            from tools.frontend_bench.tn import score_tn

            tn = score_tn(data)
            report["tn"] = {
                "overall": tn.get("overall"),
                "files": {
                    name: {k: v for k, v in f.items() if k != "failures"}
                    for name, f in tn.get("files", {}).items()
                },
            }
        except ImportError as e:
            report["tn"] = {"error": f"TN bench unavailable: {e}"}
    if not args.skip_speed:
        report["speed"] = measure_speed()
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0
