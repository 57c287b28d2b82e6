"""Property tests: normalize is total, digit-free, bounded; split_sentences preserves text and respects max_chars."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sambert_lambda.frontend.normalize import normalize
from sambert_lambda.frontend.segment import split_sentences

_ASCII_DIGIT = re.compile(r"[0-9]")
_WS = re.compile(r"\s+")

# Text that looks like real input: CJK, digits, symbols the rules care about, full-width forms, emoji, controls.
_ATOMS = st.sampled_from(
    [
        *"0123456789",
        *"一二中文字年月日号点个",
        *"+-×÷=<>≤≥/:：.,，。！？%‰°℃²³$￥€£@#&~～",
        *"０１２３４５ＡＢ",
        *"kmgKGhsWLx",
        " ",
        "\n",
        "\t",
        "\x00",
        "\x1b",
        "😀",
        "👍🏽",
        "\u200d",
        "\ufe0f",
        "𠀋",
        "㐀",
        "①",
        "٣",
        "é",
        "a.m.",
        "pm",
        "km/h",
        "m²",
        "HK$",
        "CNY",
        "第",
        "尾号",
        "拨打",
        "比分",
    ]
)
_MIXED = st.lists(_ATOMS, max_size=60).map("".join)
_ANY = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_MIXED, _ANY))
@example("9" * 40)
@example("1.2.3.4.5.6.7.8.9")
@example("--1--2--3")
@example("2008-08-08-08")
@example("$$$1")
@example("1/0")
@example("1,000-500")
@example("\ud800中1\udfff")  # lone surrogates can reach us from JSON
@example("3,000k-2,000")
@example("0:0:0:0")
def test_normalize_is_total_digit_free_and_bounded(text: str) -> None:
    out = normalize(text)
    assert isinstance(out, str)
    assert not _ASCII_DIGIT.search(out), out
    assert len(out) <= 10 * len(text) + 5


def test_normalize_handles_100k_chars() -> None:
    chunk = "2024年5月1日，价格是￥13.5，电话13800138000，增长6.3%，比分3:1，面积120m²，😀ＡＢＣ 3/4。\n"
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    out = normalize(text)
    assert not _ASCII_DIGIT.search(out)
    assert 0 < len(out) <= 10 * len(text)


_SEG_ATOMS = st.sampled_from(
    [*"中文字句话", *"。！？；…，、：", *"”’）", "abc", "internationalization", " ", "\n", "  "]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_SEG_ATOMS, max_size=80).map("".join), st.integers(min_value=1, max_value=30))
def test_split_preserves_text_and_respects_max_chars(text: str, max_chars: int) -> None:
    out = split_sentences(text, max_chars)
    assert _WS.sub("", "".join(out)) == _WS.sub("", text)
    pos = 0
    for sentence in out:  # the G2P stage locates each piece in the text
        found = text.find(sentence, pos)
        assert found >= 0, sentence
        pos = found + len(sentence)
    for sentence in out:
        assert sentence.strip() == sentence and sentence
        if len(sentence) > max_chars:
            # only a single unsplittable ASCII word (with its trailing punctuation) may exceed the limit
            words = re.findall(r"[A-Za-z0-9'_-]+", sentence)
            assert any(len(w) > max_chars for w in words), sentence
