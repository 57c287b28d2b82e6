"""Property tests of the frontend: arbitrary Unicode never crashes it, every symbol line is well formed (six
fields per token, each from the real vocabularies), and any text the frontend accepts encodes with a loaded
voice's own vocabularies (no UnknownSymbol) into six id streams of one length. Long texts (10,000 characters
through frontend + encoder, 100,000 through the frontend) complete; their timing belongs to the bench
(``sambert-lambda bench-frontend``)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sambert_lambda.engine.units import STREAMS
from sambert_lambda.errors import TTSError
from sambert_lambda.frontend.pipeline import OpenFrontend
from sambert_lambda.frontend.symbols import token_fields
from tests.support.paths import GOLDEN_DIR

GOLDEN = GOLDEN_DIR
VOCAB = json.loads((GOLDEN / "real_shapes.json").read_text("utf-8"))["ling_unit_vocab"]
FIELDS = ["sy", "tone", "syllable_flag", "word_segment", "emotion", "speaker"]
ALLOWED = {k: {x.removeprefix("@") if k == "sy" else x for x in VOCAB[k]} for k in FIELDS}

FE = OpenFrontend()

chinese = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=30)
mixed = st.text(
    st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.sampled_from(list("，。！？、；：“”《》()（）- 0123456789%.abcXYZ儿一不😀\u200b\x00\t\n\r繁體字ｆｕｌｌ１２")),
        st.characters(),  # anything, incl. surrogates and control characters
    ),
    max_size=60,
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_line(line: str) -> None:
    toks = line.split(" ")
    assert toks and all(toks)
    for tok in toks:
        fields = token_fields(tok)  # exactly 6 fields, so all 6 id streams have equal length
        for name, value in zip(FIELDS, fields, strict=True):
            assert value in ALLOWED[name], (name, tok)
    assert token_fields(toks[-1])[0] == "#4"


@SETTINGS
@given(mixed)
def test_analyze_never_crashes_and_concat_matches(text):
    r = FE.analyze(text)
    assert r["input"] == text
    if r["words"]:
        assert "".join(w["text"] for w in r["words"]) == r["normalized"]
        for w in r["words"]:
            assert 0 <= w["break"] <= 4
            assert all(p[-1] in "12345" for p in w["pinyin"])
    else:
        assert r["reason"]


@SETTINGS
@given(mixed, st.sampled_from(["neutral", "happy", "sad", "angry"]), st.sampled_from(["F7", "F74", "M7"]))
def test_segments_valid_or_clear_error(text, emotion, speaker):
    try:
        segs = FE.segments(text, emotion=emotion, speaker=speaker)
    except TTSError as e:
        assert e.status == 400 and e.code in ("empty_text", "nothing_speakable")
        return
    assert any(s.symbols for s in segs)
    for s in segs:
        if s.symbols is not None:
            check_line(s.symbols)


@SETTINGS
@given(chinese)
def test_chinese_text_always_speakable(text):
    lines = FE.symbol_lines(text)
    for line in lines:
        check_line(line)


@SETTINGS
@given(mixed)
def test_ssml_wrapped_text_never_crashes(text):
    from xml.sax.saxutils import escape

    try:
        segs = FE.segments(f"<speak>{escape(text)}</speak>", ssml=True)
    except TTSError as e:
        assert e.status == 400
        return
    for s in segs:
        if s.symbols is not None:
            check_line(s.symbols)


@pytest.mark.slow
def test_100k_characters():
    text = ("今天天气很好，我们去公园玩儿吧！" * 7000)[:100_000]
    segs = FE.segments(text)
    assert len(segs) > 1000
    for s in segs[:50]:
        check_line(s.symbols)


any_text = st.text(
    st.one_of(st.characters(), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
              st.sampled_from(list("，。！？0123456789%.-:/abcXYZ ½²①㊀℃￥$€《》\u3000\ufeff\u200d"))),
    max_size=80,
)


@pytest.fixture(scope="module")
def voice(real_synth):
    return real_synth.store.voice(real_synth.default_voice)


def encode_all(real_synth, voice, text: str, **kw) -> int:
    segments = real_synth.frontend.segments(text, speaker="F7", **kw)
    tokens = 0
    for seg in segments:
        if seg.symbols is None:  # a pause
            continue
        ids = voice.units.encode(seg.symbols)
        lengths = {len(ids[s]) for s in STREAMS}
        assert len(lengths) == 1, lengths  # every stream has one id per token, plus EOS
        assert lengths.pop() == len(seg.symbols.split()) + 1
        tokens += len(seg.symbols.split())
    return tokens


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=any_text, emotion=st.sampled_from(["neutral", "happy", "sad", "angry", "fear", "hate", "surprise"]))
def test_any_unicode_encodes_into_equal_length_streams(real_synth, voice, text, emotion):
    try:
        encode_all(real_synth, voice, text, emotion=emotion)
    except TTSError as e:
        assert e.status == 400 and e.code in ("empty_text", "nothing_speakable"), (e.code, e.message)


def test_ten_thousand_characters_complete(real_synth, voice):
    unit = "2024年3月5日，气温-3.5℃，湿度85%。王先生说：“我们明天去公园玩儿吧！”Hello世界。"
    text = (unit * (10_000 // len(unit) + 1))[:10_000]
    tokens = encode_all(real_synth, voice, text)
    assert tokens > 10_000  # every character produced at least one phone token
