"""The pipeline on the generated tiny test voice: text -> frontend -> engine -> one waveform, with validation."""

from __future__ import annotations

import numpy as np
import pytest

from sambert_lambda.errors import InvalidInput, ModelError, SSMLError, TooLarge, UnknownEmotion, UnknownVoice
from sambert_lambda.settings import load_settings
from sambert_lambda.synthesizer import Synthesizer, count_characters


@pytest.fixture(scope="module")
def synth(test_voice_dir):
    s = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), max_chars=300))
    s.load()
    return s


def test_voices_catalogue(synth):
    infos = {v.name: v for v in synth.voices()}
    assert list(infos) == ["zhitian_emo", "zhiyan_emo", "zhizhe_emo", "zhibei_emo"]
    assert "arousal" in infos["zhiyan_emo"].emotions and "arousal" not in infos["zhitian_emo"].emotions
    assert all(v.speakers == ["F7"] and v.sample_rate == 16000 and v.test_voice for v in infos.values())
    assert synth.default_voice == "zhitian_emo"


def test_synthesize_text(synth):
    r = synth.synthesize("今天天气真好，我们去公园散步吧。", emotion="happy")
    assert r.sample_rate == 16000 and r.audio.dtype == np.float32
    assert r.audio.size % 200 == 0 and 0.5 < r.duration_seconds < 20
    assert np.abs(r.audio).max() <= 1.0 and np.abs(r.audio).max() > 0.01
    assert r.characters == count_characters("今天天气真好，我们去公园散步吧。") == 16
    assert r.voice == "zhitian_emo" and r.emotion == "happy" and r.test_voice
    assert r.timings["acoustic_s"] > 0 and r.timings["vocoder_s"] > 0 and r.timings["total_s"] >= r.timings["engine_s"]


def test_ssml_bills_the_spoken_text_not_the_tags(synth):
    ssml = '<speak><prosody rate="fast">你好</prosody><break time="300ms"/>世界</speak>'
    assert count_characters(ssml, ssml=True) == 4
    assert count_characters("<speak>a < b", ssml=True) == len("<speak>a<b")  # unparseable: as plain text
    r = synth.synthesize(ssml, ssml=True)
    assert r.characters == 4


def test_same_request_is_deterministic_and_emotion_changes_output(synth):
    a = synth.synthesize("你好世界。", emotion="neutral")
    b = synth.synthesize("你好世界。", emotion="neutral")
    c = synth.synthesize("你好世界。", emotion="sad")
    assert np.array_equal(a.audio, b.audio)
    assert a.audio.shape != c.audio.shape or not np.allclose(a.audio, c.audio)


def test_volume_gain_is_applied_once(synth):
    base = synth.synthesize("你好。")
    louder = synth.synthesize("你好。", volume_db=6.0)
    assert louder.audio.shape == base.audio.shape
    mask = np.abs(base.audio) < 0.4  # away from the clip limit
    sel = mask & (np.abs(base.audio) > 1e-3)
    ratio = np.median(np.abs(louder.audio[sel]) / np.abs(base.audio[sel]))
    assert ratio == pytest.approx(10 ** (6 / 20), rel=1e-3)


def test_speed_changes_length(synth):
    slow = synth.synthesize("我们去公园散步吧。", speed=0.5)
    fast = synth.synthesize("我们去公园散步吧。", speed=2.0)
    assert slow.audio.size > 2.5 * fast.audio.size


def test_ssml_break_adds_silence_and_checks_emotions(synth):
    plain = synth.synthesize("<speak>你好。</speak>", ssml=True)
    paused = synth.synthesize('<speak>你好。<break time="500ms"/></speak>', ssml=True)
    assert paused.audio.size - plain.audio.size == 8000
    assert not paused.audio[-8000:].any()
    with pytest.raises(UnknownEmotion):  # arousal exists in the vocabulary but not for this voice
        synth.synthesize('<speak><emotion category="arousal">你好</emotion></speak>', ssml=True)
    ok = synth.synthesize('<speak><emotion category="arousal">你好</emotion></speak>', ssml=True, voice="zhiyan_emo")
    assert ok.audio.size > 0
    with pytest.raises(SSMLError):
        synth.synthesize("<speak><unknown/>你好</speak>", ssml=True)


@pytest.mark.parametrize(
    ("kwargs", "exc", "code"),
    [
        ({"text": "  "}, InvalidInput, "empty_text"),
        ({"text": "你好", "voice": "nobody"}, UnknownVoice, "unknown_voice"),
        ({"text": "你好", "emotion": "bored"}, UnknownEmotion, "unknown_emotion"),
        ({"text": "你好", "emotion": "arousal"}, UnknownEmotion, "unknown_emotion"),
        ({"text": "你好", "speed": 3.0}, InvalidInput, "invalid_speed"),
        ({"text": "你好", "speed": float("nan")}, InvalidInput, "invalid_speed"),
        ({"text": "你好", "pitch": 100}, InvalidInput, "invalid_pitch"),
        ({"text": "你好", "volume_db": 40}, InvalidInput, "invalid_volume"),
        ({"text": "好" * 301}, TooLarge, "text_too_long"),
        ({"text": "🙂🙂🙂"}, InvalidInput, "nothing_speakable"),
    ],
)
def test_bad_requests(synth, kwargs, exc, code):
    with pytest.raises(exc) as e:
        synth.synthesize(**kwargs)
    assert e.value.code == code and e.value.status in (400, 413, 422)


def test_symbols_mode_matches_engine(synth, golden_dir):
    line = "0\t{n_c$tone3$s_begin$word_begin$emotion_neutral$F7} {i_c$tone3$s_end$word_end$emotion_neutral$F7} " \
           "{#4$tone_none$s_none$word_none$emotion_none$F7}"
    r = synth.synthesize_symbols(["", line, ""], voice="zhiyan_emo")
    direct = synth.store.voice("zhiyan_emo").synthesize_line(line.split("\t", 1)[1])
    assert np.array_equal(r.audio, np.clip(direct.audio, -1, 1))
    with pytest.raises(InvalidInput):
        synth.synthesize_symbols(["  "])


def test_voice_subset_from_settings(test_voice_dir):
    s = Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="zhiyan_emo,zhibei_emo"))
    assert [v.name for v in s.voices()] == ["zhiyan_emo", "zhibei_emo"] and s.default_voice == "zhiyan_emo"
    with pytest.raises(UnknownVoice):
        s.resolve_voice("zhitian_emo")
    with pytest.raises(ModelError) as e:  # a misconfigured TTS_VOICES fails at init, naming the voice
        Synthesizer.from_settings(load_settings(model_dir=str(test_voice_dir), voices="nobody"))
    assert "nobody" in e.value.message


def test_ssml_unknown_emotion_lists_the_voices_own(synth):
    with pytest.raises(UnknownEmotion) as e:
        synth.synthesize('<speak><emotion category="arousal">你好</emotion></speak>', voice="zhitian_emo", ssml=True)
    assert e.value.code == "unknown_emotion" and e.value.status == 400
    listed = e.value.message.split("available: ")[1].split(", ")
    assert listed == synth.voice_emotions("zhitian_emo") and "arousal" not in listed
    with pytest.raises(UnknownEmotion) as e:
        synth.synthesize('<speak><emotion category="jealous">你好</emotion></speak>', voice="zhiyan_emo", ssml=True)
    assert e.value.message.split("available: ")[1].split(", ") == synth.voice_emotions("zhiyan_emo")


def test_ssml_voice_spans_switch_the_voice(synth):
    """Each <voice> span is spoken by its own voice: the audio is exactly the spans synthesized one by one, in order
    (the random-weight test voices differ, so a span in the wrong voice would not match)."""
    text = '<speak><voice name="zhiyan_emo">你好</voice>世界<voice name="ZHIZHE_EMO">再见</voice></speak>'
    r = synth.synthesize(text, voice="zhitian_emo", ssml=True)
    alone = [synth.synthesize("你好", voice="zhiyan_emo").audio, synth.synthesize("世界", voice="zhitian_emo").audio,
             synth.synthesize("再见", voice="zhizhe_emo").audio]
    assert r.segments == 3 and r.voice == "zhitian_emo"
    assert [(p.segment.voice, p.segment.text, p.samples) for p in r.rendered] == [
        ("zhiyan_emo", "你好", len(alone[0])), (None, "世界", len(alone[1])), ("zhizhe_emo", "再见", len(alone[2]))]
    np.testing.assert_array_equal(r.audio, np.concatenate(alone))
    other = synth.synthesize("你好", voice="zhitian_emo").audio
    assert len(other) != len(alone[0]) or not np.array_equal(other, alone[0])  # the voices really differ


def test_ssml_voice_span_errors(synth):
    with pytest.raises(UnknownVoice) as e:
        synth.synthesize('<speak><voice name="nobody">你好</voice></speak>', ssml=True)
    assert e.value.code == "unknown_voice" and e.value.status == 400
    assert "<voice name='nobody'>" in e.value.message and "zhiyan_emo" in e.value.message
    # an emotion is checked against the voice of its span, not the request's
    assert "arousal" in synth.voice_emotions("zhiyan_emo") and "arousal" not in synth.voice_emotions("zhitian_emo")
    synth.synthesize('<speak><voice name="zhiyan_emo"><emotion category="arousal">你好</emotion></voice></speak>',
                     voice="zhitian_emo", ssml=True)
    with pytest.raises(UnknownEmotion) as e:
        synth.synthesize('<speak><voice name="zhitian_emo"><emotion category="arousal">你好</emotion></voice></speak>',
                         voice="zhiyan_emo", ssml=True)
    assert e.value.code == "unknown_emotion" and "zhitian_emo" in e.value.message


def test_render_iter_yields_each_sentence_in_pieces_that_join_to_the_buffered_audio(synth):
    text = "今天天气真好，我们一起去公园散步，然后去湖边看看风景吧。明天见。"
    name, segments = synth.prepare(text, volume_db=-2.0)
    parts = list(synth.render_iter(segments, name))
    whole = synth.synthesize(text, volume_db=-2.0)
    np.testing.assert_array_equal(np.concatenate([a for a, _ in parts]), whole.audio)
    placed = [(i, p) for i, (_, p) in enumerate(parts) if p is not None and p.samples]
    assert len(placed) == 2 and len(parts) > 3  # two sentences, the first in several pieces
    i0, first = placed[0]
    assert i0 == 0 and first.start == 0 and len(parts[0][0]) == 32 * 200 < first.samples  # a quarter chunk first
    assert [(p.start, p.samples) for _, p in placed] == [(r.start, r.samples) for r in whole.rendered if r.samples]
    # the second sentence starts where the first one's pieces and its pause end
    assert sum(len(a) for a, _ in parts[: placed[1][0]]) == placed[1][1].start


class _RecordingFrontend:
    """Stands in for the frontend: records on which thread ``warm_up`` ran, and can fail."""

    def __init__(self, fail: bool = False):
        self.fail = fail
        self.threads: list[str] = []

    def warm_up(self) -> None:
        import threading

        self.threads.append(threading.current_thread().name)
        if self.fail:
            raise RuntimeError("dictionary missing")


@pytest.mark.parametrize("fail", [False, True])
def test_load_builds_the_frontend_beside_the_voices(test_voice_dir, fail, caplog):
    from sambert_lambda.engine.voice import open_store

    settings = load_settings(model_dir=str(test_voice_dir), voices=["zhitian_emo"])
    frontend = _RecordingFrontend(fail=fail)
    s = Synthesizer(open_store(settings), frontend, settings)
    with caplog.at_level("ERROR", logger="sambert_lambda.synthesizer"):
        s.load()  # a frontend failure is logged, never a failed load
    assert frontend.threads == ["frontend-warm-up"]
    assert s.store.loaded == ["zhitian_emo"]
    assert ("frontend warm-up failed" in caplog.text) is fail
