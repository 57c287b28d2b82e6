"""A small stand-in for the Synthesizer (same interface) and a moto-backed service, for API/service unit tests.

The e2e tests run the real Synthesizer on the test voice; these keep the HTTP layer's tests fast and exact.
"""

from __future__ import annotations

import numpy as np

from sambert_lambda.errors import SSMLError
from sambert_lambda.settings import DEFAULT_VOICE_EMOTIONS
from sambert_lambda.synthesizer import SynthesisResult, VoiceInfo

SR = 16000
SAMPLES_PER_CHAR = 1600  # 0.1 s of audio per character


class FakeSynthesizer:
    model_id = "iic/speech_sambert-hifigan_tts_zh-cn_16k"
    model_revision = "v-test"
    default_voice = "zhitian_emo"

    def __init__(self, samples_per_char: int = SAMPLES_PER_CHAR) -> None:
        self.calls: list[dict] = []
        self.samples_per_char = samples_per_char

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(name=n, emotions=list(e), speakers=["F7"], sample_rate=SR, test_voice=True)
                for n, e in DEFAULT_VOICE_EMOTIONS.items()]

    def synthesize(self, text, *, voice=None, emotion="neutral", speed=1.0, pitch=0.0, volume_db=0.0, ssml=False):
        self.calls.append({"text": text, "voice": voice, "emotion": emotion, "speed": speed, "pitch": pitch,
                           "volume_db": volume_db, "ssml": ssml})
        if ssml and not text.lstrip().startswith("<speak"):
            raise SSMLError("SSML must have a <speak> root")
        chars = sum(1 for c in text if not c.isspace())
        n = int(chars * self.samples_per_char / speed)
        audio = (0.3 * np.sin(2 * np.pi * 220 * np.arange(n) / SR)).astype(np.float32)
        return SynthesisResult(audio=audio, sample_rate=SR, characters=chars, voice=voice or self.default_voice,
                               emotion=emotion, test_voice=True,
                               timings={"frontend_s": 0.001, "acoustic_s": 0.002, "vocoder_s": 0.003,
                                        "total_s": 0.006})

    def prepare(self, text, *, voice=None, emotion="neutral", speed=1.0, pitch=0.0, volume_db=0.0, ssml=False, **_):
        """Streaming: the 'segments' are the whole result, rendered in two parts."""
        return voice or self.default_voice, [self.synthesize(text, voice=voice, emotion=emotion, speed=speed,
                                                             pitch=pitch, volume_db=volume_db, ssml=ssml)]

    def render_iter(self, segments, voice):
        from sambert_lambda.marks import Rendered
        from sambert_lambda.types import Segment

        at = 0
        for result in segments:
            half = len(result.audio) // 2
            for part in (result.audio[:half], result.audio[half:]):
                yield part, Rendered(Segment(symbols="fake"), at, len(part))
                at += len(part)


BUCKET = "fn-unit-bucket"


def clean_aws_env(monkeypatch) -> None:
    """In-process moto needs no endpoint: drop any emulator endpoint other tests may have set."""
    for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


_clients: dict[tuple, object] = {}


def _client(settings):
    """One S3 client per storage configuration: creating boto3 clients is slow, and moto intercepts any client."""
    from sambert_lambda.storage import make_client

    key = (settings.storage_retries, settings.storage_timeout)
    if key not in _clients:
        _clients[key] = make_client(settings)
    return _clients[key]


def make_service(synth: FakeSynthesizer | None = None, **overrides):
    """A TTSService on the fake synthesizer and a bucket in the (already active) moto mock."""
    from sambert_lambda.service import TTSService
    from sambert_lambda.settings import load_settings
    from sambert_lambda.storage import Storage

    settings = load_settings(bucket=BUCKET, **overrides)
    client = _client(settings)
    try:
        client.create_bucket(Bucket=BUCKET)
    except client.exceptions.BucketAlreadyOwnedByYou:
        pass
    return TTSService(settings, synth or FakeSynthesizer(), Storage(settings, client=client))


class CapturedLogs:
    """Collects what the Powertools Logger writes, formatted as JSON exactly as on Lambda."""

    def __init__(self) -> None:
        import io
        import logging

        from sambert_lambda.observability import logger

        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(logger.registered_formatter)
        self._logger = logging.getLogger(logger.name)

    def __enter__(self) -> CapturedLogs:
        self._logger.addHandler(self.handler)
        return self

    def __exit__(self, *exc) -> None:
        self._logger.removeHandler(self.handler)

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict]:
        import json

        return [json.loads(line) for line in self.text.splitlines() if line.strip()]
