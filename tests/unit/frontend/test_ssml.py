"""SSML subset -> Segments: breaks, emotion spans, prosody controls, say-as, phoneme; safe parsing and clear errors."""

from __future__ import annotations

import pytest

from sambert_lambda.errors import InvalidInput, SSMLError, UnknownEmotion, UnknownVoice
from sambert_lambda.frontend.ssml import MAX_SSML_BYTES, parse_ssml
from sambert_lambda.frontend.symbols import token_fields
from sambert_lambda.types import Controls


def emotions(line: str) -> list[str]:
    return [token_fields(t)[4] for t in line.split() if not token_fields(t)[0].startswith("#")]


def test_plain_text_one_segment_per_sentence(fe):
    segs = fe.segments("你好。今天天气很好！")
    assert len(segs) == 2 and all(s.symbols for s in segs)
    assert segs[0].controls == Controls()


def test_break_time_and_strength(fe):
    segs = fe.segments('<speak>你好<break time="500ms"/>世界<break strength="strong"/>再见</speak>', ssml=True)
    assert [s.pause_after_ms for s in segs] == [500, 700, 0]
    assert all(s.symbols for s in segs)


def test_leading_break_is_pause_only_segment(fe):
    segs = fe.segments('<speak><break time="1s"/>你好</speak>', ssml=True)
    assert segs[0].symbols is None and segs[0].pause_after_ms == 1000
    assert segs[1].symbols


def test_emotion_span_inside_sentence_sets_per_token_emotion(fe):
    segs = fe.segments('<speak>我在银行上班，<emotion category="sad">每天都很累</emotion>。</speak>', ssml=True)
    assert len(segs) == 1
    emos = emotions(segs[0].symbols)
    assert emos[0] == "emotion_neutral" and emos[-1] == "emotion_sad"
    assert set(emos) == {"emotion_neutral", "emotion_sad"}


def test_emotion_intensity_splits_segment(fe):
    segs = fe.segments('<speak>我很好，<emotion category="happy" intensity="1.5">真的很开心</emotion></speak>',
                       ssml=True)
    assert len(segs) == 2
    assert segs[0].controls.emotion_intensity == 1.0
    assert segs[1].controls.emotion_intensity == 1.5
    assert set(emotions(segs[1].symbols)) == {"emotion_happy"}


def test_prosody_controls(fe):
    segs = fe.segments('<speak><prosody rate="120%" pitch="+2st" volume="+3dB">你好</prosody>世界</speak>',
                       ssml=True)
    assert segs[0].controls.speed == pytest.approx(1.2)
    assert segs[0].controls.pitch > 0 and segs[0].controls.volume_db == pytest.approx(3.0)
    assert segs[1].controls == Controls()


def test_phoneme_forces_pinyin(fe):
    segs = fe.segments('<speak>我要去<phoneme alphabet="pinyin" ph="hang2">行</phoneme></speak>', ssml=True)
    toks = [token_fields(t) for t in segs[0].symbols.split()]
    assert ["h_c", "tone2"] in [t[:2] for t in toks] and ["ang_c", "tone2"] in [t[:2] for t in toks]


def test_say_as_characters_and_digits(fe):
    pieces = parse_ssml('<speak><say-as interpret-as="digits">110</say-as></speak>')
    assert pieces[0].normalized and ("一" in pieces[0].text or "幺" in pieces[0].text)
    segs = fe.segments('<speak>号码<say-as interpret-as="telephone">13800138000</say-as></speak>', ssml=True)
    assert segs and segs[0].symbols


def test_p_and_s_allowed(fe):
    segs = fe.segments("<speak><p><s>第一句。</s><s>第二句。</s></p></speak>", ssml=True)
    assert len(segs) == 2


def test_unknown_ssml_emotion_is_left_to_the_voice(fe):
    """The frontend names the category; the synthesizer lists the loaded voice's own emotions."""
    from sambert_lambda.errors import UnknownEmotion

    with pytest.raises(UnknownEmotion) as ei:
        fe.segments('<speak><emotion category="bored">你好</emotion></speak>', ssml=True)
    assert ei.value.detail == "bored" and ei.value.status == 400 and "known:" not in ei.value.message


@pytest.mark.parametrize(("ssml", "needle"), [
    ("<speak><foo>你好</foo></speak>", "<foo>"),
    ('<speak><break time="500ms" bar="1"/></speak>', "bar"),
    ('<speak><break time="fast"/></speak>', "500ms"),
    ('<speak><emotion category="happy" intensity="9">你好</emotion></speak>', "intensity"),
    ('<speak><prosody rate="900%">你好</prosody></speak>', "rate"),
    ('<speak><phoneme alphabet="ipa" ph="x">你</phoneme></speak>', "alphabet"),
    ('<speak><phoneme alphabet="pinyin" ph="zz9">你</phoneme></speak>', "zz9"),
    ('<speak><phoneme alphabet="pinyin" ph="ni3 hao3">你</phoneme></speak>', "syllables"),
    ("<speak>你好", "malformed"),
    ("<voice>你好</voice>", "<speak>"),
])
def test_bad_ssml_names_problem(fe, ssml, needle):
    with pytest.raises(SSMLError) as ei:
        fe.segments(ssml, ssml=True)
    assert needle in ei.value.message
    assert ei.value.status == 400


def test_billion_laughs_and_external_entities_refused(fe):
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
           "<speak>&lol2;</speak>")
    with pytest.raises(SSMLError):
        fe.segments(lol, ssml=True)
    ext = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><speak>&e;</speak>'
    with pytest.raises(SSMLError):
        fe.segments(ext, ssml=True)


def test_size_and_depth_caps(fe):
    with pytest.raises(SSMLError, match="limit"):
        fe.segments("<speak>" + "你" * MAX_SSML_BYTES + "</speak>", ssml=True)
    deep = "<speak>" + "<p>" * 40 + "你好" + "</p>" * 40 + "</speak>"
    with pytest.raises(SSMLError, match="nested"):
        fe.segments(deep, ssml=True)


def test_empty_and_unspeakable(fe):
    with pytest.raises(InvalidInput) as ei:
        fe.segments("   ")
    assert ei.value.code == "empty_text"
    with pytest.raises(InvalidInput) as ei:
        fe.segments("😀😀 ……")
    assert ei.value.code == "nothing_speakable"
    with pytest.raises(InvalidInput) as ei:
        fe.segments('<speak><break time="1s"/></speak>', ssml=True)
    assert ei.value.code == "nothing_speakable"


def test_unknown_emotion_and_speaker(fe):
    with pytest.raises(UnknownEmotion):
        fe.segments("你好", emotion="bored")
    with pytest.raises(UnknownVoice):
        fe.segments("你好", speaker="Z9")


def test_phoneme_survives_word_splitting_and_sandhi(fe):
    # 今天天气 is split into two prosodic words; 气 forced to qi3 must stay qi3 (not qi4, and no sandhi applied)
    segs = fe.segments('<speak><phoneme alphabet="pinyin" ph="jin1 tian1 tian1 qi3">今天天气</phoneme>怎么样</speak>',
                       ssml=True)
    toks = [token_fields(t) for t in segs[0].symbols.split()]
    assert [t[:2] for t in toks[7:9]] == [["q_c", "tone3"], ["i_c", "tone3"]]


def test_sub_reads_the_alias(fe):
    with_sub = fe.segments('<speak><sub alias="世界卫生组织">WHO</sub>很好。</speak>', ssml=True)
    plain = fe.segments("世界卫生组织很好。", ssml=False)
    assert [s.symbols for s in with_sub] == [s.symbols for s in plain]


def test_mark_is_carried_at_its_place():
    from sambert_lambda.frontend.ssml import parse_ssml

    pieces = parse_ssml('<speak>你好<mark name="m1"/>世界</speak>')
    assert [(p.text, p.mark) for p in pieces] == [("你好", None), ("", "m1"), ("世界", None)]


def test_mark_does_not_change_the_speech(fe):
    assert ([s.symbols for s in fe.segments('<speak>你好<mark name="m1"/>世界。</speak>', ssml=True)]
            == [s.symbols for s in fe.segments("<speak>你好世界。</speak>", ssml=True)])


def test_audio_is_refused_with_its_reason(fe):
    with pytest.raises(SSMLError) as ei:
        fe.segments('<speak><audio src="https://example.invalid/x.mp3"/>你好</speak>', ssml=True)
    assert "<audio> is not supported" in ei.value.message and "URL" in ei.value.message


def test_voice_spans_become_segments_of_their_voice(fe):
    text = ('<speak>你好<voice name="zhiyan_emo">欢迎<emotion category="happy">光临</emotion></voice>'
            '<voice name="zhizhe_emo">再见</voice>谢谢</speak>')
    pieces = parse_ssml(text)
    assert [(p.text, p.voice, p.emotion) for p in pieces] == [
        ("你好", None, "neutral"), ("欢迎", "zhiyan_emo", "neutral"), ("光临", "zhiyan_emo", "happy"),
        ("再见", "zhizhe_emo", "neutral"), ("谢谢", None, "neutral")]
    segs = fe.segments(text, ssml=True)
    assert [(s.text, s.voice) for s in segs] == [
        ("你好", None), ("欢迎光临", "zhiyan_emo"), ("再见", "zhizhe_emo"), ("谢谢", None)]
    assert emotions(segs[1].symbols)[-1] == "emotion_happy"  # an emotion span inside a voice span keeps both
    # the same text without <voice> is one sentence: only a change of voice splits it
    assert len(fe.segments("<speak>你好欢迎光临再见谢谢</speak>", ssml=True)) == 1


@pytest.mark.parametrize("tag", ['<voice>', '<voice name=" ">', '<voice name="zhiyan_emo" gender="female">'])
def test_voice_needs_a_name_and_nothing_else(fe, tag):
    with pytest.raises(SSMLError) as e:
        fe.segments(f"<speak>{tag}你好</voice></speak>", ssml=True)
    assert e.value.code == "invalid_ssml" and e.value.status == 400 and "<voice>" in e.value.message
