"""Helpers for the frontend tests."""

from __future__ import annotations

from sambert_lambda.frontend.pipeline import OpenFrontend


def sentence_pinyin(fe: OpenFrontend, text: str) -> list[str]:
    """The pinyin of every syllable of the analyzed ``text``, in order (as spoken: after sandhi and erhua)."""
    return [p for w in fe.analyze(text)["words"] for p in w["pinyin"]]
