"""Score ``normalize`` on text-normalization suites written as ``written => spoken`` lines.

``score_tn(data_dir)`` reads ``<data_dir>/tn-wetext/*.txt`` (the public WeTextProcessing test data; it is evaluation
data only and is never copied into this repository). A line passes when ``normalize(written)`` equals ``spoken``
after the comparator's canonicalization, which ignores exactly two things:

1. all whitespace (WeText output and ours space Latin words differently);
2. the width of punctuation: ，。！？；：（）“”‘’ compare equal to , . ! ? ; : ( ) " " ' '.

Nothing else is forgiven: 两 vs 二, 幺 vs 一, and letter case all count. Lines without `` => `` are skipped.
Files keep their own pass rate because some encode WeText-only conventions (filler deletion in postprocessor.txt,
``<oov>`` tags in *_tag_oov.txt, 儿 removal in whitelist.txt).

Run by hand: ``python -m tools.frontend_bench.tn /work/shared/bench [--failures]``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from sambert_lambda.frontend.normalize import normalize

_WIDTH = str.maketrans(
    {
        "，": ",",
        "。": ".",
        "！": "!",
        "？": "?",
        "；": ";",
        "：": ":",
        "（": "(",
        "）": ")",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
    }
)
_WS = re.compile(r"\s+")


def canonical(text: str) -> str:
    """The comparator's view of a string: no whitespace, ASCII-width punctuation."""
    return _WS.sub("", text).translate(_WIDTH)


def _cases(path: Path) -> list[tuple[str, str]]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if " => " in line:
            written, spoken = line.split(" => ", 1)
        elif line.rstrip().endswith(" =>"):
            written, spoken = line.rstrip()[:-3], ""
        else:
            continue
        cases.append((written.strip(), spoken.strip()))
    return cases


def score_tn(data_dir: Path) -> dict:
    """Per-file and overall pass rates of ``normalize`` on ``<data_dir>/tn-wetext/*.txt``.

    Returns ``{"files": {name: {"cases", "passed", "rate", "failures": [{"written", "expected", "got"}]}},
    "overall": {"cases", "passed", "rate"}, "comparator": str}``. Raises FileNotFoundError if the folder is absent.
    """
    folder = Path(data_dir) / "tn-wetext"
    paths = sorted(folder.glob("*.txt"))
    if not paths:
        raise FileNotFoundError(f"no *.txt files in {folder}")
    files: dict[str, dict] = {}
    total = passed_total = 0
    for path in paths:
        failures = []
        cases = _cases(path)
        for written, expected in cases:
            got = normalize(written)
            if canonical(got) != canonical(expected):
                failures.append({"written": written, "expected": expected, "got": got})
        passed = len(cases) - len(failures)
        files[path.stem] = {
            "cases": len(cases),
            "passed": passed,
            "rate": round(passed / len(cases), 4) if cases else None,
            "failures": failures,
        }
        total += len(cases)
        passed_total += passed
    return {
        "files": files,
        "overall": {
            "cases": total,
            "passed": passed_total,
            "rate": round(passed_total / total, 4) if total else None,
        },
        "comparator": "ignores whitespace and punctuation width (，。！？；：（）“”‘’ == ASCII)",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--failures", action="store_true", help="include failing lines")
    args = parser.parse_args(argv)
    report = score_tn(args.data_dir)
    if not args.failures:
        for entry in report["files"].values():
            entry.pop("failures")
    json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
