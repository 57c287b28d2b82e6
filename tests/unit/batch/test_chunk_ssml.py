"""chunk_ssml: a long SSML document as standalone SSML parts that keep every element's effect."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sambert_lambda.batch.chunking import chunk_ssml
from sambert_lambda.frontend.ssml import parse_ssml

HEAD = '<speak xmlns="http://www.w3.org/2001/10/synthesis"><voice name="zhiyan_emo"><emotion category="happy">'
SENTENCE = "今天天气很好，我们去公园吧。"


def _doc() -> str:
    return (HEAD + SENTENCE * 20 + '<say-as interpret-as="digits">12345</say-as>结束了。<mark name="m1"/>'
            '<prosody rate="slow">' + "慢慢地说，" * 12 + "好。</prosody></emotion></voice>"
            "<p>第二段&amp;说明。" + "好的。" * 30 + "</p></speak>")  # fmt: skip


def _spoken(doc: str) -> list[tuple[str, str, str, float]]:
    """What the frontend reads from a document: (text, voice, emotion, rate) of every piece with text."""
    out = []
    for p in parse_ssml(doc):
        if p.text.strip():
            out.append((p.text, p.voice, p.emotion, p.controls.speed))
    return out


@pytest.mark.parametrize("limit", [200, 260, 400])
def test_parts_are_standalone_and_say_the_same_thing(limit):
    doc = _doc()
    parts = chunk_ssml(doc, limit)
    assert len(parts) >= 3 and all(len(p) <= limit for p, _ in parts)
    joined = []
    for part, _ in parts:
        ET.fromstring(part)  # well-formed on its own
        joined += _spoken(part)
    whole = _spoken(doc)
    # the same pieces in the same order, each with its voice, emotion and rate; only the cuts inside a text differ
    assert "".join(t for t, *_ in joined) == "".join(t for t, *_ in whole)
    styles = {(v, e, r) for _, v, e, r in whole}
    assert {(v, e, r) for _, v, e, r in joined} == styles
    for text, v, e, r in joined:
        if "慢慢" in text:
            assert r == pytest.approx(0.8) and e == "happy" and v == "zhiyan_emo"
        if "好的" in text:
            assert e != "happy" and v != "zhiyan_emo"


def test_byte_shift_maps_each_parts_text_back_to_the_document():
    doc = _doc()
    raw = doc.encode()
    covered = bytearray(len(raw))
    for part, shift in chunk_ssml(doc, 200):
        praw = part.encode()
        # the part's own copy of the document: everything after its reopened start tags and before its closing tags
        for i, ch in enumerate(part):
            if "\u4e00" <= ch <= "\u9fff":
                b = len(part[:i].encode())
                assert raw[shift + b : shift + b + 3] == praw[b : b + 3], (i, ch)
                covered[shift + b] += 1
    han = [i for i, ch in enumerate(doc) if "\u4e00" <= ch <= "\u9fff"]
    assert [covered[len(doc[:i].encode())] for i in han] == [1] * len(han)  # every character once


def test_never_cuts_inside_say_as_phoneme_or_sub():
    inner = "，".join(["一二三"] * 40)
    doc = f'<speak>开始。<sub alias="{inner}">缩写</sub><say-as interpret-as="characters">{inner}</say-as>完。</speak>'
    for part, _ in chunk_ssml(doc, 400):
        ET.fromstring(part)
        assert part.count("<say-as") == part.count("</say-as>") and part.count("<sub") == part.count("</sub>")
    with pytest.raises(ValueError, match="no place to cut"):
        chunk_ssml(doc, 100)  # the say-as alone is longer


def test_a_short_document_is_one_part_unchanged():
    doc = "<speak>你好。</speak>"
    assert chunk_ssml(doc, 100) == [(doc, 0)]


def test_ssml_parts_grows_the_part_size_only_as_far_as_the_markup_needs():
    from sambert_lambda.batch.chunking import ssml_parts

    say = "<say-as interpret-as=\"characters\">" + "甲乙丙丁" * 30 + "</say-as>"  # 120 characters, no cut inside
    doc = "<speak>" + "今天天气很好。" * 40 + say + "我们出去走走吧。" * 40 + "</speak>"
    parts = ssml_parts(doc, 100, 2000)
    sizes = [len(p) for p, _ in parts]
    assert len(parts) >= 3 and max(sizes) <= 400  # 100 was too small for the say-as, so 400: not the limit
    assert sum("甲乙丙丁" * 30 in p for p, _ in parts) == 1
    with pytest.raises(ValueError):
        ssml_parts(doc, 100, 150)  # even the limit is too small for the say-as
