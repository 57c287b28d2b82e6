"""The one core request: strict types, one set of codes, SSML detection, voice resolution."""

from __future__ import annotations

import pytest

from sambert_lambda.errors import TTSError
from sambert_lambda.request import TTSRequest, decide_ssml
from sambert_lambda.synthesizer import VoiceInfo

VOICES = {n: VoiceInfo(n, ["neutral", "happy"], ["F7"], 16000, True) for n in ("zhitian_emo", "zhiyan_emo")}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "x", "speed": True}, "invalid_speed"),
        ({"text": "x", "ssml": "yes"}, "invalid_ssml"),
        ({"text": "x", "ssml": 1}, "invalid_ssml"),
        ({"text": "x", "sample_rate": "16000"}, "invalid_sample_rate"),
        ({"text": "x", "sample_rate": 16001}, "invalid_sample_rate"),
        ({"text": "x", "sample_rate": 44100}, "invalid_sample_rate"),
        ({"text": "x", "pitch": "1"}, "invalid_pitch"),
        ({"text": "x", "volume": 13}, "invalid_volume"),
        ({"text": "x", "speed": float("nan")}, "invalid_speed"),
        ({"text": "x", "format": "wma"}, "invalid_format"),
        ({"text": 5}, "invalid_text"),
        ({"text": "x", "emotion": None}, "invalid_emotion"),
        ({"text": "x", "colour": "red"}, "unknown_field"),
        ({"voice": "x"}, "missing_text"),
        (["text"], "invalid_body"),
    ],
)
def test_strict_types_one_code_per_field(body, code):
    with pytest.raises(TTSError) as e:
        TTSRequest.from_dict(body)
    assert e.value.code == code and e.value.status == 422


def test_integral_numbers_and_format_case():
    req = TTSRequest.from_dict({"text": "x", "speed": 1, "sample_rate": 24000.0, "format": "MP3"})
    assert req.speed == 1.0 and isinstance(req.speed, float) and req.sample_rate == 24000 and req.format == "mp3"


@pytest.mark.parametrize(
    ("text", "flag", "expected"),
    [("  <speak>你好</speak>", None, True), ("你好", None, False), ("<speak>x</speak>", True, True),
     ("a < b", None, False), ("x", True, True)],
)
def test_ssml_detection(text, flag, expected):
    assert decide_ssml(text, flag) is expected


@pytest.mark.parametrize(("text", "flag", "code"), [
    ('你好<break time="1s"/>世界', None, "ssml_without_speak"),
    ("<speak>你好</speak>", False, "ssml_conflict"),
])
def test_ssml_mistakes_say_how_to_send_it(text, flag, code):
    with pytest.raises(TTSError) as e:
        decide_ssml(text, flag)
    assert e.value.code == code and e.value.status == 400 and "<speak" in e.value.message


@pytest.mark.parametrize(("voice", "name"), [(None, "zhitian_emo"), ("Alloy", "zhitian_emo"), ("marin", "zhitian_emo"),
                                             ("CEDAR", "zhitian_emo"), ("ZhiYan_Emo", "zhiyan_emo")])
def test_voice_names_any_case(voice, name):
    req = TTSRequest.from_dict({"text": " 你好 ", "voice": voice}).resolve(VOICES, "zhitian_emo", 100)
    assert req.voice == name and req.text == "你好" and req.sample_rate == 16000 and req.ssml is False


@pytest.mark.parametrize(("body", "code", "status"), [
    ({"text": "  "}, "empty_text", 400), ({"text": "x" * 101}, "text_too_long", 413),
    ({"text": "x", "voice": "nobody"}, "unknown_voice", 400), ({"text": "x", "emotion": "sad"}, "unknown_emotion", 400),
])
def test_resolve_errors(body, code, status):
    with pytest.raises(TTSError) as e:
        TTSRequest.from_dict(body).resolve(VOICES, "zhitian_emo", 100)
    assert (e.value.code, e.value.status) == (code, status)
    if code == "unknown_emotion":
        assert "neutral, happy" in e.value.message
