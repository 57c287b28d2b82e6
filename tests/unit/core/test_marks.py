"""Speech marks and captions: pure timing arithmetic, offsets into the input, and the frontend alignment."""

from __future__ import annotations

import json

import pytest

from sambert_lambda import marks
from sambert_lambda.errors import InvalidInput
from sambert_lambda.frontend.pipeline import OpenFrontend
from sambert_lambda.types import Segment, SyllableSpan

SR, HOP = 16000, 200  # 12.5 ms per frame


def _line(phones: list[str], pauses_after: set[int]) -> str:
    toks = []
    for i, p in enumerate(phones):
        toks.append(f"{{{p}$tone1$s_both$word_both$emotion_neutral$F7}}")
        if i in pauses_after:
            toks.append("{#1$tone_none$s_none$word_none$emotion_none$F7}")
    toks.append("{#4$tone_none$s_none$word_none$emotion_none$F7}")
    return " ".join(toks)


def _seg(text: str, syls: list[tuple[int, int, int, tuple[str, ...], str | None]], pauses_after=()) -> Segment:
    spans = tuple(SyllableSpan(a, b, w, ph, py) for a, b, w, ph, py in syls)
    phones = [p for s in spans for p in s.phones]
    return Segment(symbols=_line(phones, set(pauses_after)), text=text, syllables=spans)


def test_times_come_from_frames_hop_and_segment_start():
    seg = _seg("你好", [(0, 1, 0, ("n_c", "i_c"), "ni3"), (1, 2, 0, ("h_c", "ao_c"), "hao3")])
    # tokens: n i h ao #4 (+ EOS): 4, 4, 8, 8, 2 (+1) frames
    r = marks.Rendered(seg, start=16000, samples=27 * HOP, durations=(4, 4, 8, 8, 2, 1), hop=HOP)
    got = [m.as_dict() for m in marks.speech_marks("你好", [r], SR)]
    assert got[0] == {"time": 1000, "duration": 338, "type": "sentence", "start": 0, "end": 6, "value": "你好"}
    assert got[1] == {"time": 1000, "duration": 300, "type": "word", "start": 0, "end": 6, "value": "你好"}
    assert got[2] == {"time": 1000, "duration": 100, "type": "phoneme", "start": 0, "end": 3, "value": "ni3"}
    assert got[3] == {"time": 1100, "duration": 200, "type": "phoneme", "start": 3, "end": 6, "value": "hao3"}


def test_offsets_are_utf8_bytes_into_the_input_as_sent():
    text = "Hi 你好！"
    seg = _seg(text, [(0, 2, 0, ("hh", "ay"), None), (3, 4, 1, ("n_c", "i_c"), "ni3"), (4, 5, 1, ("h_c", "ao_c"), "hao3")],
               pauses_after={1})
    r = marks.Rendered(seg, 0, 100 * HOP, durations=(2,) * 8, hop=HOP)
    words = [m for m in marks.speech_marks(text, [r], SR, ["word"])]
    raw = text.encode()
    assert [(raw[m.start:m.end].decode(), m.value) for m in words] == [("Hi", "Hi"), ("你好", "你好")]
    phones = [m.value for m in marks.speech_marks(text, [r], SR, ["phoneme"])]
    assert phones == ["hh", "ay", "ni3", "hao3"]  # English phones one by one, Chinese syllables with tones


def test_normalized_text_maps_back_onto_the_rewritten_input_span():
    source = "共2026年。"
    seg = _seg("共二零二六年。", [(i, i + 1, w, ("a", "b"), "x1") for i, w in zip(range(6), [0, 1, 1, 1, 1, 2])])
    r = marks.Rendered(seg, 0, 10_000, durations=(1,) * 20, hop=HOP)
    words = [m.value for m in marks.speech_marks(source, [r], SR, ["word"])]
    assert words == ["共", "2026", "年"]


def test_a_line_that_disagrees_with_its_alignment_gives_sentence_marks_only():
    seg = _seg("你好", [(0, 1, 0, ("n_c", "i_c"), "ni3")])
    bad = Segment(symbols=seg.symbols, text="你好", syllables=(SyllableSpan(0, 1, 0, ("x",), "ni3"),))
    r = marks.Rendered(bad, 0, 1000, durations=(1, 1, 1, 1), hop=HOP)
    assert [m.type for m in marks.speech_marks("你好", [r], SR)] == ["sentence"]


def test_pause_only_segments_and_later_sentences_keep_their_place():
    a = _seg("甲。", [(0, 1, 0, ("a",), "jia3")])
    b = _seg("乙。", [(0, 1, 0, ("b",), "yi3")])
    rendered = [marks.Rendered(Segment(symbols=None, pause_after_ms=500), 0, 0),
                marks.Rendered(a, 8000, 4 * HOP, (2, 1, 1), HOP),
                marks.Rendered(b, 8000 + 4 * HOP + 4000, 4 * HOP, (3, 1), HOP)]
    got = marks.speech_marks("<speak>甲。<break/>乙。</speak>", rendered, SR, ["sentence"])
    assert [(m.time_ms, m.value) for m in got] == [(500, "甲。"), (800, "乙。")]


def test_jsonl_is_one_object_per_line():
    seg = _seg("好", [(0, 1, 0, ("h_c", "ao_c"), "hao3")])
    body = marks.to_jsonl(marks.speech_marks("好", [marks.Rendered(seg, 0, 800, (1, 1, 1, 1), HOP)], SR))
    rows = [json.loads(x) for x in body.decode().splitlines()]
    assert [r["type"] for r in rows] == ["sentence", "word", "phoneme"]


def test_captions_vtt_and_srt():
    a = _seg("你好。", [(0, 1, 0, ("n",), "ni3"), (1, 2, 0, ("h",), "hao3")])
    b = _seg("再见", [(0, 1, 0, ("z",), "zai4"), (1, 2, 0, ("j",), "jian4")])
    rendered = [marks.Rendered(a, 0, 80 * HOP, (40, 40, 0, 0), HOP),
                marks.Rendered(b, 100 * HOP, 80 * HOP, (40, 40, 0, 0), HOP)]
    vtt = marks.captions("你好。再见", rendered, SR, "vtt")
    assert vtt == "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n你好。\n\n00:00:01.250 --> 00:00:02.250\n再见\n"
    srt = marks.captions("你好。再见", rendered, SR, "srt")
    assert srt.splitlines()[:3] == ["1", "00:00:00,000 --> 00:00:01,000", "你好。"]


def test_long_sentences_split_into_cues_between_words():
    words = [f"w{i:02d}x" for i in range(20)]  # 20 words of 4 letters: 99 characters with spaces
    text = " ".join(words)
    syls, pos = [], 0
    for i, w in enumerate(words):
        syls.append((pos, pos + len(w), i, ("a",), None))
        pos += len(w) + 1
    seg = _seg(text, syls)
    r = marks.Rendered(seg, 0, 21 * 10 * HOP, (10,) * 21, HOP)
    cues = [c for c in marks.captions(text, [r], SR, "srt").split("\n\n") if c.strip()]
    texts = [c.splitlines()[2] for c in cues]
    assert " ".join(texts) == text and all(len(t) <= marks.CAPTION_MAX_CHARS for t in texts) and len(texts) == 3
    times = [c.splitlines()[1] for c in cues]
    assert times[0].startswith("00:00:00,000") and times[-1].endswith("00:00:02,625")  # the sentence end, after its #4


@pytest.mark.parametrize("bad", [["words"], ["viseme"], "x"])
def test_unknown_mark_types_are_refused(bad):
    with pytest.raises(InvalidInput) as e:
        marks.check_types(bad)
    assert e.value.code == "invalid_speech_marks"
    with pytest.raises(InvalidInput):
        marks.check_caption_format("ass")


@pytest.mark.parametrize("text", ["你好，世界。", "Hello world, 2026年5月3日！", "我们一起去银行吧。OK?", "卡拉OK很好玩儿。"])
def test_frontend_alignment_covers_every_spoken_token(text):
    for seg in OpenFrontend().segments(text):
        tokens = [t[1:].split("$", 1)[0] for t in seg.symbols.split() if not t.startswith("{#")]
        assert [p for s in seg.syllables for p in s.phones] == tokens
        for s in seg.syllables:
            assert 0 <= s.start < s.end <= len(seg.text)
            assert (s.pinyin is None) or (s.end - s.start == 1)


def test_ssml_marks_take_the_time_of_the_next_syllable_or_the_end_of_the_speech():
    seg = _seg("你好", [(0, 1, 0, ("n_c", "i_c"), "ni3"), (1, 2, 0, ("h_c", "ao_c"), "hao3")])
    seg = Segment(seg.symbols, seg.text, syllables=seg.syllables, marks=((0, "a"), (1, "b"), (2, "c")))
    pause = Segment(symbols=None, marks=((0, "d"),))
    source = '<speak><mark name="a"/>你<mark name="b"/>好<mark name="c"/><break/><mark name="d"/></speak>'
    rendered = [marks.Rendered(seg, 1600, 27 * HOP, (4, 4, 8, 8, 2, 1), HOP), marks.Rendered(pause, 16000, 0)]
    got = marks.speech_marks(source, rendered, SR, ["ssml"])
    assert [(m.value, m.time_ms, m.end_ms) for m in got] == [("a", 100, 100), ("b", 200, 200), ("c", 438, 438),
                                                             ("d", 1000, 1000)]  # fmt: skip
    raw = source.encode()
    assert [raw[m.start:m.end].decode() for m in got] == [f'<mark name="{n}"/>' for n in "abcd"]


def test_ssml_marks_without_an_alignment_are_placed_by_their_share_of_the_text():
    seg = Segment(symbols="{a$tone1$s_both$word_both$emotion_neutral$F7}", text="你好", marks=((1, "m"),))
    got = marks.speech_marks('<speak>你<mark name="m"/>好</speak>', [marks.Rendered(seg, 0, 1000, (5,), HOP)], SR,
                             ["ssml"])  # fmt: skip
    assert [(m.value, m.time_ms) for m in got] == [("m", round(500 * 1000 / SR))]


def test_the_frontend_places_each_mark_in_its_sentence():
    ssml = ('<speak><mark name="a"/>你好<mark name="b"/>世界。<mark name="c"/>再见。<mark name="d"/>'
            '<break time="300ms"/><mark name="e"/><break time="100ms"/>好<!-- <mark name="no"/> --></speak>')
    segs = OpenFrontend().segments(ssml, ssml=True)
    got = [(s.text, s.marks, s.pause_after_ms) for s in segs if s.marks or s.symbols]
    assert got == [("你好世界。", ((0, "a"), (2, "b")), 0), ("再见。", ((0, "c"), (3, "d")), 300),
                   ("", ((0, "e"),), 100), ("好", (), 0)]  # fmt: skip
