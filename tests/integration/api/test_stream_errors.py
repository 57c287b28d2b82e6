"""A failure after a streamed answer has started: the 200 is already sent, so the stream must not end as if the audio
were complete. SSE gets an ``error`` event; raw audio ends without the final chunk (an incomplete body a client
notices); ``stream: false`` still answers with the error itself. Real HTTP: the app under uvicorn on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
import time

import httpx
import pytest
from moto import mock_aws

from infra.rie import HOST, free_port
from sambert_lambda.api.app import create_app
from sambert_lambda.errors import ModelError
from tests.support.fakes import FakeSynthesizer, clean_aws_env, make_service

TEXT = "你好，世界。"


class FailsMidway(FakeSynthesizer):
    """Renders the first half of the audio, then fails: as an engine error (``cause``) or any exception."""

    def __init__(self, cause: Exception):
        super().__init__()
        self.cause = cause

    def render_iter(self, segments, voice):
        parts = super().render_iter(segments, voice)
        yield next(parts)
        raise self.cause


@pytest.fixture(scope="module", params=["engine_error", "any_exception"])
def base(request):
    cause = ModelError("the vocoder failed", code="synthesis_failed") if request.param == "engine_error" else (
        RuntimeError("a secret internal detail"))
    with pytest.MonkeyPatch.context() as mp:
        clean_aws_env(mp)
        with mock_aws():
            import uvicorn

            service = make_service(FailsMidway(cause))
            app = create_app(lambda: service, settings_factory=lambda: service.settings)
            server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=free_port(), log_level="critical"))
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not server.started:
                assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
                time.sleep(0.05)
            try:
                yield f"http://{HOST}:{server.config.port}"
            finally:
                server.should_exit = True
                thread.join(timeout=30)


def test_raw_audio_ends_without_the_final_chunk(base):
    got = b""
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream(
        "POST", base + "/v1/audio/speech", json={"input": TEXT, "response_format": "pcm"}, timeout=60
    ) as r:
        assert r.status_code == 200
        for chunk in r.iter_raw():
            got += chunk
    assert len(got) > 0  # the first half arrived before the failure


def test_sse_ends_with_an_error_event_and_no_done(base):
    r = httpx.post(base + "/v1/audio/speech", json={"input": TEXT, "response_format": "pcm", "stream_format": "sse"},
                   timeout=60)
    assert r.status_code == 200
    events = [json.loads(b[len("data: "):]) for b in r.text.split("\n\n") if b.startswith("data: ")]
    assert [e["type"] for e in events] == ["speech.audio.delta", "error"]
    assert len(base64.b64decode(events[0]["audio"])) > 0
    assert events[1]["error"]["code"] == "synthesis_failed"
    assert "secret" not in r.text  # an unexpected exception is named by its type only


def test_unstreamed_answer_is_the_error_itself(base):
    r = httpx.post(base + "/v1/audio/speech", json={"input": TEXT, "response_format": "pcm", "stream": False},
                   timeout=60)
    assert r.status_code == 503 and r.json()["error"]["code"] == "synthesis_failed"
    assert "secret" not in r.text
