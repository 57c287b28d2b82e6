"""Frontend properties the frontend's own tests leave out: tests/unit/frontend/test_props.py
checks that every token has six well-formed fields; this file checks the next step, on the loaded test voice:
any Unicode text that the frontend accepts encodes with the voice's own vocabularies (no UnknownSymbol) into six
id streams of one length, and a 10,000-character text goes through frontend + encoder completely (its timing
belongs to the bench: ``sambert-lambda bench-frontend``)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sambert_lambda.engine.units import STREAMS
from sambert_lambda.errors import TTSError

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
