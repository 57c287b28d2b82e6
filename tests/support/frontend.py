"""Helpers for the frontend tests."""

from __future__ import annotations

from sambert_lambda.frontend.pipeline import OpenFrontend


def marked(fe: OpenFrontend, text: str) -> str:
    """The sentence as prosodic words: text with #N after each break (#1-#4; no mark = no break)."""
    return "".join(w["text"] + (f"#{w['break']}" if w["break"] else "") for w in fe.analyze(text)["words"])


def sentence_pinyin(fe: OpenFrontend, text: str) -> list[str]:
    """The pinyin of every syllable of the analyzed ``text``, in order (as spoken: after sandhi and erhua)."""
    return [p for w in fe.analyze(text)["words"] for p in w["pinyin"]]
