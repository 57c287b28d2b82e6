"""Property tests of the SSML parser: random and malicious documents either parse into pieces
or raise SSMLError (400 ``invalid_ssml``) or UnknownEmotion (400 ``unknown_emotion``) with a message, never
another exception and never a hang (the per-test timeout is the hang guard). Malicious inputs: billion laughs
(general and parameter entities), external entities (SYSTEM/PUBLIC), XInclude, DTDs in any case, deep nesting,
huge attributes, lone surrogates."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sambert_lambda.errors import SSMLError, TTSError, UnknownEmotion
from sambert_lambda.frontend.ssml import MAX_DEPTH, MAX_SSML_BYTES, Piece, parse_ssml

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(doc: str):
    """Pieces, or the SSMLError: anything else is a bug. A hang is caught by the per-test timeout, not by a
    wall-time assertion."""
    try:
        result = parse_ssml(doc)
    except (SSMLError, UnknownEmotion) as e:
        # an unknown <emotion category> is its own 400 (the synthesizer lists the voice's emotions with it)
        assert e.status == 400 and e.code in {"invalid_ssml", "unknown_emotion"}
        assert e.message and "Traceback" not in e.message
        result = e
    return result


ELEMENTS = ["speak", "p", "s", "break", "emotion", "prosody", "say-as", "phoneme", "audio", "voice", "sub",
            "xi:include", "mark"]
ATTRS = ["time", "strength", "category", "intensity", "rate", "pitch", "volume", "interpret-as", "format",
         "alphabet", "ph", "xml:lang", "href", "src", "onload"]
VALUES = st.one_of(
    st.sampled_from(["500ms", "1.5s", "99999s", "-1s", "x-strong", "happy", "sad", "emotion_angry", "nope", "0.5",
                     "2.1", "120%", "+3st", "-100st", "x-loud", "+6dB", "999dB", "digits", "telephone", "date",
                     "characters", "cardinal", "ordinal", "pinyin", "ipa", "hao3", "ni3 hao3", "zz9", "", "NaN",
                     "inf", "1e309", "file:///etc/passwd"]),
    st.text(max_size=20),
)
TEXT = st.text(st.one_of(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
                         st.sampled_from(list("abc 123,.!?，。&<>'\"")), st.characters()), max_size=12)


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


@st.composite
def element(draw, depth: int = 0) -> str:
    name = draw(st.sampled_from(ELEMENTS))
    attrs = draw(st.dictionaries(st.sampled_from(ATTRS), VALUES, max_size=3))
    attr_s = "".join(f' {k}="{_escape(v)}"' for k, v in attrs.items())
    children = []
    if depth < 4:
        for _ in range(draw(st.integers(0, 3))):
            children.append(draw(st.one_of(TEXT.map(_escape), element(depth + 1))))
    if not children and draw(st.booleans()):
        return f"<{name}{attr_s}/>"
    return f"<{name}{attr_s}>{''.join(children)}</{name}>"


documents = st.builds(lambda inner, ns: f"<speak{ns}>{inner}</speak>",
                      st.lists(st.one_of(TEXT.map(_escape), element()), max_size=4).map("".join),
                      st.sampled_from(["", ' version="1.0"', ' xmlns="http://www.w3.org/2001/10/synthesis"',
                                       ' xmlns:xi="http://www.w3.org/2001/XInclude"']))


@FAST
@given(documents)
def test_random_documents_parse_or_clear_error(doc):
    result = outcome(doc)
    if not isinstance(result, (SSMLError, UnknownEmotion)):
        assert all(isinstance(p, Piece) for p in result)
        for p in result:
            if p.break_ms is not None:  # a pause carries no text
                assert p.text == "" and 0 <= p.break_ms <= 10_000
            assert math.isfinite(p.controls.speed) and p.controls.speed > 0
            assert math.isfinite(p.controls.pitch) and math.isfinite(p.controls.volume_db)


@FAST
@given(st.text(max_size=300))
def test_any_text_as_ssml(text):
    outcome(text)
    outcome(f"<speak>{text}</speak>")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decoded_as_ssml(raw):
    """The API hands the parser text decoded from UTF-8 JSON: any bytes, decoded leniently, are handled."""
    outcome(raw.decode("utf-8", "surrogateescape"))
    outcome("<speak>" + raw.decode("latin-1") + "</speak>")


LAUGHS = [
    # classic billion laughs
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]><speak>&lol9;</speak>",
    # parameter entities
    '<!DOCTYPE speak [<!ENTITY % a "aaaaaaaaaa"><!ENTITY % b "%a;%a;%a;%a;"> %b;]><speak>x</speak>',
    # quadratic blowup: one big entity referenced many times
    '<!DOCTYPE speak [<!ENTITY big "' + "x" * 5000 + '">]><speak>' + "&big;" * 10 + "</speak>",
    # lower-case doctype, whitespace variants
    '<!doctype speak [<!ENTITY x "y">]><speak>&x;</speak>',
    '<!DocType speak\n[<!ENTITY  x  "y">]><speak>&x;</speak>',
]
EXTERNAL = [
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><speak>&e;</speak>',
    '<!DOCTYPE x [<!ENTITY e PUBLIC "-//x//y" "http://127.0.0.1:9/evil.dtd">]><speak>&e;</speak>',
    '<!DOCTYPE speak SYSTEM "http://127.0.0.1:9/evil.dtd"><speak>hi</speak>',
    '<!DOCTYPE x [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/x.dtd"> %ext;]><speak>hi</speak>',
    '<speak xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" parse="text"/></speak>',
    '<speak>&undefined;</speak>',
    '<speak>&#0;</speak>',
]


@pytest.mark.parametrize("doc", LAUGHS + EXTERNAL)
def test_malicious_documents_refused_quickly(doc):
    result = outcome(doc)
    assert isinstance(result, SSMLError), result
    assert "passwd" not in result.message and "root:" not in result.message  # nothing was read


def test_deep_nesting_refused():
    for depth in (MAX_DEPTH + 2, 1000, 8000):  # 8000 levels is just under the 64 KiB size cap
        doc = "<speak>" + "<s>" * depth + "x" + "</s>" * depth + "</speak>"
        result = outcome(doc)
        assert isinstance(result, SSMLError) and ("deeper" in result.message or "bytes" in result.message)


def test_nesting_at_the_limit_is_fine():
    doc = "<speak>" + "<p>" * MAX_DEPTH + "你好" + "</p>" * MAX_DEPTH + "</speak>"
    pieces = outcome(doc)
    assert [p.text for p in pieces] == ["你好"]


@pytest.mark.parametrize("size", [1_000, 60_000, MAX_SSML_BYTES + 1, 5 * 1024 * 1024])
def test_huge_attributes(size):
    doc = f'<speak><prosody rate="{"9" * size}">你好</prosody></speak>'
    result = outcome(doc)
    assert isinstance(result, SSMLError)
    if len(doc.encode()) > MAX_SSML_BYTES:
        assert "limit" in result.message


def test_many_attributes_and_huge_text():
    attrs = " ".join(f'a{i}="1"' for i in range(5000))
    assert isinstance(outcome(f"<speak {attrs}>x</speak>"), SSMLError)
    assert isinstance(outcome("<speak>" + "好" * 30_000 + "</speak>"), SSMLError)  # 90 KB of UTF-8 > 64 KiB


def test_lone_surrogates_are_a_clear_error():
    result = outcome("<speak>\ud800你好</speak>")
    assert isinstance(result, SSMLError)


def test_through_the_frontend_malicious_ssml_is_a_400(real_synth):
    """The same documents through the whole synthesizer (ssml=True): a 400 TTSError, never another exception."""
    for doc in LAUGHS[:2] + EXTERNAL[:3]:
        with pytest.raises(TTSError) as e:
            real_synth.synthesize(doc, ssml=True)
        assert e.value.status == 400 and e.value.code == "invalid_ssml"
