#!/usr/bin/env python3
"""Score the English letter-to-sound rules against the shipped CMUdict subset (the numbers in docs/frontend.md).

    .venv/bin/python scripts/eval_english_lts.py [--n 3000] [--seed 1]

A random sample of CMUdict words (3+ letters, no apostrophe) is read by the rules alone. Printed: phone error rate
(edit distance over reference phones, stress ignored), exact-word rate, how often the number of syllables is right,
and, among those, how often the primary stress is on the right syllable.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "function"))

from sambert_lambda.frontend import english, english_lts


def edit_distance(a: list[str], b: list[str]) -> int:
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = d[j]
            d[j] = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev = cur
    return d[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    entries = [ln.split(" ", 1) for ln in english.cmu_entries()]
    pool = [(w, p.split()) for w, p in entries if "'" not in w and len(w) >= 3]
    sample = random.Random(args.seed).sample(pool, args.n)  # noqa: S311 - a reproducible sample, not crypto
    errors = total = exact = same_count = stress_ok = 0
    for word, ref in sample:
        hyp = english_lts.word_phones(word)
        r0, h0 = [re.sub(r"\d", "", p) for p in ref], [re.sub(r"\d", "", p) for p in hyp]
        d = edit_distance(r0, h0)
        errors, total, exact = errors + d, total + len(r0), exact + (d == 0)
        rs, hs = [p[-1] for p in ref if p[-1].isdigit()], [p[-1] for p in hyp if p[-1].isdigit()]
        if len(rs) == len(hs):
            same_count += 1
            stress_ok += "1" in rs and rs.index("1") == hs.index("1")
    print(
        f"{args.n} words (seed {args.seed}): PER {errors / total:.3f}, exact words {exact / args.n:.3f}, "
        f"syllable count right {same_count / args.n:.3f}, primary stress right {stress_ok / max(1, same_count):.3f} "
        f"of those"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
