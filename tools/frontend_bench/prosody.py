"""Score prosodic breaks and surface tones on the project's own labelled sentences (beside this file).

Two files, written and labelled for this project by the same conventions (docs/frontend.md):
- ``devset.tsv``: the development part; the rules may be adjusted while looking at its errors;
- ``heldback.tsv``: the held-back part; scored and reported separately, never used to adjust rules (new sentences were
  assigned to it alternately, in the order they were written, so both parts cover the same categories).

Each line: ``category<TAB>input<TAB>labelled text<TAB>surface pinyin``. The labelled text is the normalized sentence
with ``#1``-``#4`` after a syllable where a break follows it (no mark = no break), punctuation kept; an empty input
column means the input is the labelled text without marks. The pinyin column has one TONE3 syllable per Han
character of the labelled text (5 = neutral tone, erhua as ``wanr2`` for the two characters 玩儿).

Breaks are compared after every syllable but the last of the sentence (whose #4 is trivial): precision, recall and
F1 of "break ≥ #k" for k = 1, 2, 3. Syllables are compared one to one; a sentence whose normalized text differs from
the labelled one counts all its syllables and labelled breaks as missed (``tn_mismatch``).
The sentences and labels were written for this project (conventions in docs/frontend.md); nothing was copied.
"""

from __future__ import annotations

import re
from pathlib import Path

DEVSET = Path(__file__).with_name("devset.tsv")
HELDBACK = Path(__file__).with_name("heldback.tsv")
_MARK = re.compile(r"#([1-4])")


def parse_marked(marked: str) -> tuple[str, dict[int, int]]:
    """'北京#1今天#4' -> ('北京今天', {1: 1, 3: 4}): break level after the character at each index."""
    text, breaks = [], {}
    pos = 0
    for m in re.finditer(r"#[1-4]|.", marked, re.S):
        tok = m.group(0)
        if tok.startswith("#") and len(tok) == 2:
            # the break follows the last character that is not punctuation
            k = len(text) - 1
            while k >= 0 and not _is_han(text[k]):
                k -= 1
            if k >= 0:
                breaks[k] = max(breaks.get(k, 0), int(tok[1]))
        else:
            text.append(tok)
            pos += 1
    return "".join(text), breaks


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def load(path: Path = DEVSET) -> list[dict]:
    items = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cat, raw, marked, pinyin = line.split("\t")
        text, breaks = parse_marked(marked)
        syls = pinyin.split()
        han = [i for i, c in enumerate(text) if _is_han(c)]
        items.append({"line": n, "category": cat, "input": raw or text, "text": text, "breaks": breaks,
                      "pinyin": syls, "han": han})
    return items


def _expand(pinyin: list[str], text: str) -> list[str]:
    """Per-character readings of one word: an erhua syllable (wanr2) stands for both of its characters."""
    if len(pinyin) == len(text):
        return pinyin
    out = []
    k = 0
    for i, ch in enumerate(text):
        if ch == "儿" and i > 0 and out and out[-1].rstrip("12345").endswith("r") and len(pinyin) < len(text):
            out.append(out[-1])
            continue
        out.append(pinyin[k] if k < len(pinyin) else "?")
        k += 1
    return out


def predict(frontend, item: dict) -> tuple[str, dict[int, int], list[str]]:
    result = frontend.analyze(item["input"])
    text, breaks, readings = "", {}, []
    for w in result["words"]:
        t = w["text"]
        start = len(text)
        text += t
        han = [start + i for i, c in enumerate(t) if _is_han(c)]
        if w["pinyin"]:
            readings.extend(_expand(w["pinyin"], "".join(c for c in t if _is_han(c))))
        if w["break"] and han:
            breaks[han[-1]] = w["break"]
        elif w["break"]:  # a break on a word without Han characters (English): after the previous Han one
            k = start - 1
            while k >= 0 and not _is_han(text[k]):
                k -= 1
            if k >= 0:
                breaks[k] = max(breaks.get(k, 0), w["break"])
    return text, breaks, readings


def _prf(tp: int, fp: int, fn: int) -> dict:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "labelled": tp + fn,
            "predicted": tp + fp}


def score(frontend=None, path: Path = DEVSET, errors: bool = False) -> dict:
    if frontend is None:
        from sambert_lambda.frontend.pipeline import OpenFrontend

        frontend = OpenFrontend()
    items = load(path)
    counts = {k: [0, 0, 0] for k in (1, 2, 3)}
    syl_ok = syl_all = mismatch = 0
    trivial = [0, 0, 0]  # "punctuation = #3" at ≥ #3
    per_cat: dict[str, list[int]] = {}
    wrong: list[dict] = []
    for it in items:
        text, pred, readings = predict(frontend, it)
        han = it["han"]
        last = han[-1] if han else -1
        syl_all += len(it["pinyin"])
        cat = per_cat.setdefault(it["category"], [0, 0])
        cat[1] += len(it["pinyin"])
        if text != it["text"]:
            mismatch += 1
            pred = {}
            readings = []
        gold = it["breaks"]
        for i in han:
            if i == last:
                continue
            g, p = gold.get(i, 0), pred.get(i, 0)
            for k in (1, 2, 3):
                c = counts[k]
                c[0] += g >= k and p >= k
                c[1] += g < k <= p
                c[2] += p < k <= g
            punct_after = i + 1 < len(it["text"]) and not _is_han(it["text"][i + 1]) and not it["text"][i + 1].isascii()
            trivial[0] += g >= 3 and punct_after
            trivial[1] += g < 3 and punct_after
            trivial[2] += g >= 3 and not punct_after
        ok = [a == b for a, b in zip(readings, it["pinyin"], strict=False)]
        syl_ok += sum(ok)
        cat[0] += sum(ok)
        if errors and (text != it["text"] or not all(ok) or len(ok) != len(it["pinyin"])
                       or any((gold.get(i, 0) != pred.get(i, 0)) for i in han if i != last)):
            wrong.append({"line": it["line"], "text": it["text"], "got": _marked(text, pred),
                          "want": _marked(it["text"], gold),
                          "tones": [(it["text"][han[j]], a, b) for j, (a, b) in
                                    enumerate(zip(readings, it["pinyin"], strict=False)) if a != b]})
    out = {
        "sentences": len(items),
        "syllables": syl_all,
        "syllable_accuracy": round(syl_ok / max(1, syl_all), 4),
        "by_category": {c: round(v[0] / max(1, v[1]), 4) for c, v in sorted(per_cat.items())},
        "breaks": {f">=#{k}": _prf(*counts[k]) for k in (1, 2, 3)},
        "baseline_punctuation_is_#3": _prf(*trivial),
        "tn_mismatch": mismatch,
    }
    if errors:
        out["errors"] = wrong
    return out


def _marked(text: str, breaks: dict[int, int]) -> str:
    return "".join(c + (f"#{breaks[i]}" if i in breaks else "") for i, c in enumerate(text))
