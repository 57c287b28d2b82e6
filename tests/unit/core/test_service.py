"""TTSService on the fake synthesizer + moto S3: cache keys, cache hits and staleness, metadata, errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from sambert_lambda.audio import decode
from sambert_lambda.errors import InvalidInput, TooLarge, UnknownEmotion, UnknownVoice
from sambert_lambda.request import TTSRequest
from tests.support.fakes import BUCKET, SAMPLES_PER_CHAR, make_service

TEXT = "你好，世界。"


@pytest.fixture
def service(_moto):
    svc = make_service()
    yield svc
    for key in svc.storage.list(""):
        svc.storage.delete(key)


def test_tts_uploads_and_presigns(service):
    out = service.tts({"text": TEXT, "format": "wav", "sample_rate": 8000})
    assert out["bucket"] == BUCKET and out["cached"] is False
    assert re.fullmatch(r"output/tts/[0-9a-f]{2}/[0-9a-f]{64}\.wav", out["key"])
    assert out["key"].split("/")[2] == out["key"].split("/")[3][:2]
    assert "X-Amz-Signature=" in out["url"] and "X-Amz-Algorithm=AWS4-HMAC-SHA256" in out["url"]
    assert out["characters"] == 6 and out["voice"] == "zhitian_emo" and out["test_voice"] is True
    assert out["model"] == {"id": "iic/speech_sambert-hifigan_tts_zh-cn_16k", "revision": "v-test"}
    assert out["duration_seconds"] == pytest.approx(6 * SAMPLES_PER_CHAR / 16000, abs=1e-3)
    body, meta = service.storage.get(out["key"])
    audio, rate = decode(body, "wav")
    assert rate == 8000 and audio.size == 6 * SAMPLES_PER_CHAR // 2
    assert meta["voice"] == "zhitian_emo" and meta["characters"] == "6" and meta["test-voice"] == "true"
    assert meta["model-id"] == "iic/speech_sambert-hifigan_tts_zh-cn_16k"
    expires = datetime.strptime(out["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert 3500 < (expires - datetime.now(timezone.utc)).total_seconds() <= 3601
    assert {"cache_lookup_s", "encode_s", "upload_s", "presign_s", "total_s", "acoustic_s"} <= set(out["timings"])


def test_repeat_is_a_cache_hit_without_synthesis(service):
    first = service.tts({"text": TEXT})
    second = service.tts({"text": "  " + TEXT + "\n"})  # normalization: same request
    assert second["cached"] is True and second["key"] == first["key"]
    assert len(service.synthesizer.calls) == 1
    assert second["duration_seconds"] == first["duration_seconds"]
    assert second["characters"] == first["characters"]
    assert second["url"] != "" and "acoustic_s" not in second["timings"]
    assert service.stats.as_dict() == {"requests": 2, "syntheses": 1, "cache_hits": 1}


def test_nfc_normalization_shares_the_key(service):
    a = service.tts({"text": "Cafe\u0301 你好"})  # decomposed é
    b = service.tts({"text": "Caf\u00e9 你好"})  # composed é
    assert a["key"] == b["key"] and b["cached"] is True


@pytest.mark.parametrize(
    "change",
    [{"voice": "zhiyan_emo"}, {"emotion": "happy"}, {"speed": 1.1}, {"pitch": 0.5}, {"volume": -3.0},
     {"format": "mp3"}, {"sample_rate": 24000}, {"text": TEXT + "!"}],
)
def test_every_request_field_changes_the_key(service, change):
    base = {"text": TEXT}
    assert service.tts({**base, **change})["key"] != service.tts(base)["key"]


def test_default_voice_and_explicit_default_share_the_key(service):
    assert service.tts({"text": TEXT})["key"] == service.tts({"text": TEXT, "voice": "zhitian_emo"})["key"]


def test_key_changes_with_model_revision(service):
    k1 = service.tts({"text": TEXT})["key"]
    service.synthesizer.model_revision = "v-other"
    k2 = service.tts({"text": TEXT})["key"]
    assert k1 != k2


def test_no_raw_text_in_key(service):
    out = service.tts({"text": "secret text 机密"})
    assert "secret" not in out["key"] and "机密" not in out["key"]


def test_stale_object_is_resynthesized(service, monkeypatch):
    service.tts({"text": TEXT})
    real_head = service.storage.head

    def old_head(key):
        info = real_head(key)
        # 23.5 h old: + 1 h URL expiry would outlive the 24 h lifecycle rule
        return info and type(info)(**{**info.__dict__,
                                       "last_modified": info.last_modified - timedelta(hours=23, minutes=30)})

    monkeypatch.setattr(service.storage, "head", old_head)
    out = service.tts({"text": TEXT})
    assert out["cached"] is False and len(service.synthesizer.calls) == 2


def test_freshness_rule():
    from sambert_lambda.settings import load_settings

    svc = type("S", (), {})()
    svc.settings = load_settings(bucket="b", url_expires=3600, lifecycle_days=1)
    from sambert_lambda.service import TTSService

    now = datetime.now(timezone.utc)
    assert TTSService._fresh_enough(svc, now - timedelta(hours=22))
    assert not TTSService._fresh_enough(svc, now - timedelta(hours=23, minutes=1))


@pytest.mark.parametrize(
    ("req", "err", "code"),
    [
        ({"text": ""}, InvalidInput, "empty_text"),
        ({"text": " \n\t "}, InvalidInput, "empty_text"),
        ({"text": TEXT, "voice": "nobody"}, UnknownVoice, "unknown_voice"),
        ({"text": TEXT, "emotion": "arousal"}, UnknownEmotion, "unknown_emotion"),  # zhiyan_emo only
        ({"text": "字" * 5001}, TooLarge, "text_too_long"),
        ({"text": "a\ud800b"}, InvalidInput, "invalid_text"),
    ],
)
def test_bad_requests_raise_before_any_work(service, req, err, code):
    with pytest.raises(err) as e:
        service.tts(TTSRequest.from_dict(req))
    assert e.value.code == code
    assert service.synthesizer.calls == []
    assert service.storage.list("output/") == []


def test_arousal_is_allowed_for_zhiyan(service):
    assert service.tts({"text": TEXT, "voice": "zhiyan_emo", "emotion": "arousal"})["emotion"] == "arousal"


def test_speech_returns_bytes_and_maps_openai_voices(service):
    body = service.speech({"text": TEXT, "voice": "Alloy", "format": "mp3"})
    assert body[:3] == b"ID3" or body[0] == 0xFF
    assert service.synthesizer.calls[-1]["voice"] == "zhitian_emo"
    assert service.storage.list("output/") == []


def test_speech_over_lambda_limit_points_to_v1_tts(service, monkeypatch):
    from sambert_lambda import service as service_mod

    monkeypatch.setattr(service_mod, "SPEECH_MAX_BYTES", 1000)
    with pytest.raises(TooLarge) as e:
        service.speech({"text": TEXT, "format": "wav"})
    assert e.value.code == "response_too_large" and "/v1/tts" in e.value.message
