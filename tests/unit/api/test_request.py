"""Both speech routes map onto the one core request: same types, same controls, SSML detected, OpenAI SDK shapes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sambert_lambda.api.app import create_app
from sambert_lambda.audio import decode
from tests.support.fakes import FakeSynthesizer, make_service

TEXT = "你好，世界。"
SSML = '<speak>你好<break time="1s"/>世界</speak>'


@pytest.fixture
def service(_moto):
    svc = make_service(FakeSynthesizer(), max_chars=200)
    yield svc
    for key in svc.storage.list(""):
        svc.storage.delete(key)


@pytest.fixture
def client(service):
    with TestClient(create_app(lambda: service, settings_factory=lambda: service.settings),
                    raise_server_exceptions=False) as c:
        yield c


def code_of(resp) -> str:
    return resp.json()["error"]["code"]


@pytest.mark.parametrize("route,key", [("/v1/tts", "text"), ("/v1/audio/speech", "input")])
@pytest.mark.parametrize("extra,code", [({"speed": True}, "invalid_speed"), ({"ssml": "yes"}, "invalid_ssml"),
                                        ({"sample_rate": "16000"}, "invalid_sample_rate")])
def test_strict_types_on_both_routes(client, route, key, extra, code):
    r = client.post(route, json={key: TEXT, **extra})
    assert r.status_code == 422 and code_of(r) == code, r.text


@pytest.mark.parametrize("extra,code", [({"speed": True}, "invalid_speed"), ({"ssml": "yes"}, "invalid_ssml"),
                                        ({"speed": "1"}, "invalid_speed"), ({"format": 3}, "invalid_format"),
                                        ({"speech_marks": "word"}, "invalid_speech_marks"),
                                        ({"text": "你" * 200_001}, "invalid_text")])
def test_strict_types_on_jobs(client, extra, code):
    """/v1/jobs reads its fields with the same checks and messages as /v1/tts."""
    r = client.post("/v1/jobs", json={"text": TEXT, **extra})
    assert r.status_code == 422 and code_of(r) == code, r.text
    assert r.json()["error"]["message"].startswith(f"'{code.removeprefix('invalid_')}': must ")


def test_jobs_take_any_case_format_and_detect_ssml(client, service):
    r = client.post("/v1/jobs", json={"text": TEXT, "format": "FLAC"})
    assert r.status_code == 202, r.text
    r = client.post("/v1/jobs", json={"text": SSML})
    assert r.status_code == 202, r.text
    assert any(k.endswith(f"jobs/{r.json()['id']}.ssml") for k in service.storage.list("")), "SSML not detected"
    r = client.post("/v1/jobs", json={"text": '你好<break time="1s"/>世界'})
    assert r.status_code == 400 and code_of(r) == "ssml_without_speak", r.text
    r = client.post("/v1/jobs", json={"text": SSML, "ssml": False})
    assert r.status_code == 400 and code_of(r) == "ssml_conflict", r.text
    r = client.post("/v1/jobs", content='{"text": "\\ud800你好"}',
                    headers={"content-type": "application/json"})
    assert r.status_code == 400 and code_of(r) == "invalid_text", r.text


@pytest.mark.parametrize("route,key", [("/v1/tts", "text"), ("/v1/audio/speech", "input")])
def test_ssml_detected_on_every_route(client, service, route, key):
    assert client.post(route, json={key: SSML}).status_code == 200
    assert service.synthesizer.calls[-1]["ssml"] is True
    r = client.post(route, json={key: '你好<break time="1s"/>世界'})
    assert r.status_code == 400 and code_of(r) == "ssml_without_speak" and "<speak>" in r.json()["error"]["message"]


def test_speech_honours_the_same_controls(client, service):
    r = client.post("/v1/audio/speech", json={"input": TEXT, "response_format": "wav", "pitch": 2.0, "volume": -6,
                                              "sample_rate": 8000, "emotion": "happy"})
    assert r.status_code == 200, r.text
    call = service.synthesizer.calls[-1]
    assert (call["pitch"], call["volume_db"], call["emotion"]) == (2.0, -6.0, "happy")
    assert decode(r.content, "wav")[1] == 8000
    r = client.post("/v1/audio/speech", json={"input": TEXT, "loudness": 3})
    assert r.status_code == 422 and code_of(r) == "unknown_field"


def test_speech_openai_fields(client, service):
    r = client.post("/v1/audio/speech", json={"model": "gpt-4o-mini-tts", "input": TEXT, "voice": "Marin",
                                              "instructions": "cheerful", "response_format": "pcm",
                                              "stream_format": "audio"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/pcm; rate=24000; channels=1; encoding=s16le"
    samples = len(r.content) // 2
    assert samples == round(6 * 1600 * 24000 / 16000)  # the fake speaks 1600 samples per character at 16 kHz
    for voice in ("alloy", "ASH", "cedar", "Verse"):
        assert client.post("/v1/audio/speech", json={"input": TEXT, "voice": voice}).status_code == 200


@pytest.mark.parametrize("speed,header,used", [(4.0, "4->2", 2.0), (0.25, "0.25->0.5", 0.5), (1.5, None, 1.5)])
def test_speech_speed_openai_range_clamped_with_header(client, service, speed, header, used):
    r = client.post("/v1/audio/speech", json={"input": TEXT, "speed": speed})
    assert r.status_code == 200
    assert r.headers.get("x-speed-clamped") == header
    assert service.synthesizer.calls[-1]["speed"] == used


def test_speech_speed_outside_openai_range(client):
    r = client.post("/v1/audio/speech", json={"input": TEXT, "speed": 4.5})
    assert r.status_code == 422 and code_of(r) == "invalid_speed"


def test_models_list(client):
    body = client.get("/v1/models").json()
    assert body["object"] == "list" and "tts-1" in {m["id"] for m in body["data"]}


def test_models_retrieve(client):
    """The SDK's ``models.retrieve``: an entry of the list, or 404 ``model_not_found``."""
    listed = client.get("/v1/models").json()["data"]
    assert [client.get(f"/v1/models/{m['id']}").json() for m in listed] == listed
    r = client.get("/v1/models/whisper-1")
    assert r.status_code == 404 and code_of(r) == "model_not_found" and "tts-1" in r.json()["error"]["message"]


@pytest.mark.parametrize("path", ["/healthz", "/", "/v1/voices", "/v1/models", "/v1/models/tts-1", "/docs"])
def test_head(client, path):
    """HEAD answers every GET route: the GET's status and headers, no body."""
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]


def test_head_of_a_missing_job_is_404(client):
    assert client.head("/v1/jobs/" + "0" * 32).status_code == client.get("/v1/jobs/" + "0" * 32).status_code


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "GET", "HEAD"])
def test_wrong_method_on_a_post_route_is_405(client, method):
    """Not a content-type complaint: a PUT without a JSON body was 400 invalid_content_type."""
    r = client.request(method, "/v1/audio/speech")
    assert r.status_code == 405 and "POST" in r.headers["allow"]
    if method != "HEAD":
        assert code_of(r) == "method_not_allowed"


def test_openapi_documents_the_core_request(client):
    spec = client.get("/openapi.json").json()
    tts = spec["paths"]["/v1/tts"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert tts["properties"]["sample_rate"]["anyOf"][0]["enum"] == [8000, 16000, 22050, 24000]
    assert tts["properties"]["speed"]["minimum"] == 0.5 and tts["additionalProperties"] is False
    speech = spec["paths"]["/v1/audio/speech"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"pitch", "volume", "sample_rate", "ssml", "emotion", "instructions"} <= set(speech["properties"])


def test_sse_of_flac_is_one_event_with_the_whole_file(client):
    import base64
    import json

    r = client.post("/v1/audio/speech", json={"input": TEXT, "response_format": "flac", "stream_format": "sse"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(b[len("data: "):]) for b in r.text.split("\n\n") if b.startswith("data: ")]
    assert [e["type"] for e in events] == ["speech.audio.delta", "speech.audio.done"]
    audio, rate = decode(base64.b64decode(events[0]["audio"]), "flac")
    assert rate == 16000 and audio.size == 6 * 1600


def test_opus_file_and_rate_rule(client, service):
    r = client.post("/v1/tts", json={"text": TEXT, "format": "opus", "sample_rate": 24000})
    assert r.status_code == 200, r.text
    audio, rate = decode(service.storage.get(r.json()["key"])[0], "opus")
    assert rate == 24000 and abs(audio.size - 6 * 2400) < 960
    r = client.post("/v1/tts", json={"text": TEXT, "format": "opus", "sample_rate": 22050})
    assert r.status_code == 422 and code_of(r) == "invalid_sample_rate"


@pytest.mark.parametrize("fmt", ["aac", "AAC"])
def test_aac_is_adts_aac_lc_on_both_routes(client, service, fmt):
    r = client.post("/v1/audio/speech", json={"model": "tts-1", "input": TEXT, "voice": "alloy", "response_format": fmt})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/aac", r.text
    assert r.content[:2] == b"\xff\xf1"  # an ADTS frame: MPEG-4 AAC, no CRC
    audio, rate = decode(r.content, "aac")
    assert rate == 16000 and audio.size > 1024
    r = client.post("/v1/tts", json={"text": TEXT, "format": fmt})
    assert r.status_code == 200 and r.json()["key"].endswith(".aac"), r.text
    audio, rate = decode(service.storage.get(r.json()["key"])[0], "aac")
    assert rate == 16000 and abs(audio.size / rate - r.json()["duration_seconds"]) < 2048 / rate


@pytest.mark.parametrize("route,key", [("/v1/tts", "text"), ("/v1/audio/speech", "input")])
@pytest.mark.parametrize("field", ["speed", "pitch", "volume"])
def test_integers_too_large_for_a_float_are_out_of_range(client, route, key, field):
    """JSON allows integers of any size; one past float's range was a 500 (OverflowError)."""
    for value in ("1" + "0" * 400, "-1" + "0" * 400):
        body = f'{{"{key}": "你好", "{field}": {value}}}'
        r = client.post(route, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422 and code_of(r) == f"invalid_{field}", r.text
        assert "between" in r.json()["error"]["message"]


@pytest.mark.parametrize("route,key", [("/v1/tts", "text"), ("/v1/audio/speech", "input"), ("/v1/jobs", "text")])
def test_a_lone_surrogate_in_an_unknown_field_name_is_a_clean_422(client, route, key):
    """The unknown_field message names the key; a lone surrogate in it could not be encoded: a 500."""
    body = f'{{"{key}": "你好", "\\ud800x": 1}}'
    r = client.post(route, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and code_of(r) == "unknown_field", r.text
    assert "\\ud800x" in r.json()["error"]["message"]


@pytest.mark.parametrize("route,key", [("/v1/tts", "text"), ("/v1/audio/speech", "input"), ("/v1/jobs", "text")])
@pytest.mark.parametrize("extra", ['"x": ' + "[" * 100_000 + "]" * 100_000, '"speed": 1' + "0" * 5000])
def test_json_the_parser_cannot_read_is_malformed_json(client, route, key, extra):
    """Deep nesting and integers over 4300 digits fail inside json.loads: FastAPI's code was http_400."""
    r = client.post(route, content=f'{{"{key}": "你好", {extra}}}', headers={"content-type": "application/json"})
    assert r.status_code == 400 and code_of(r) == "malformed_json", r.text


def test_stream_false_with_sse_is_refused_not_ignored(client):
    r = client.post("/v1/audio/speech", json={"input": TEXT, "stream_format": "sse", "stream": False})
    assert r.status_code == 422 and code_of(r) == "invalid_stream", r.text
    r = client.post("/v1/audio/speech", json={"input": TEXT, "stream_format": "sse", "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")


def test_a_compressed_body_is_refused_naming_the_content_encoding(client):
    import gzip

    body = gzip.compress(b'{"input": "hi"}')
    r = client.post("/v1/audio/speech", content=body,
                    headers={"content-type": "application/json", "content-encoding": "gzip"})
    assert r.status_code == 400 and code_of(r) == "invalid_encoding" and "Content-Encoding gzip" in r.text, r.text
    r = client.post("/v1/audio/speech", content=b'{"input": "hi"}',
                    headers={"content-type": "application/json", "content-encoding": "identity"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("route,key", [("/v1/tts", "text"), ("/v1/audio/speech", "input"), ("/v1/jobs", "text")])
def test_a_leading_byte_order_mark_does_not_hide_speak(client, service, route, key):
    """Text pasted from a file saved with a BOM: it was ssml_without_speak, though it starts with <speak>."""
    r = client.post(route, json={key: "\ufeff" + SSML})
    assert r.status_code in (200, 202), r.text
    if route == "/v1/jobs":
        assert any(k.endswith(f"jobs/{r.json()['id']}.ssml") for k in service.storage.list(""))
    else:
        assert service.synthesizer.calls[-1]["ssml"] is True


def test_a_long_ssml_job_is_cut_into_parts_and_an_uncuttable_piece_is_refused_at_once(client, service):
    """SSML over TTS_MAX_CHARS (200 in this fixture) is accepted (the batch cuts it into standalone SSML parts); a
    piece with no place to cut that is longer than the limit is refused before anything is queued."""
    long_ssml = "<speak>" + "今天天气很好。" * 40 + "</speak>"  # 287 characters
    r = client.post("/v1/jobs", json={"text": long_ssml})
    assert r.status_code == 202, r.text
    assert any(k.endswith(f"jobs/{r.json()['id']}.ssml") for k in service.storage.list(""))  # one file, parts inside
    whole = '<speak><say-as interpret-as="characters">' + "一二三" * 80 + "</say-as></speak>"
    r = client.post("/v1/jobs", json={"text": whole})
    assert r.status_code == 413 and code_of(r) == "text_too_long", r.text
    assert "TTS_MAX_CHARS" in r.json()["error"]["message"]


@pytest.mark.parametrize("ssml,code", [("<speak>你好", "invalid_ssml"), ("<speak><foo>你好</foo></speak>", "invalid_ssml"),
                                       ('<speak><break time="1h"/>你好</speak>', "invalid_ssml")])
def test_bad_ssml_in_a_job_is_refused_at_once(client, ssml, code):
    r = client.post("/v1/jobs", json={"text": ssml})
    assert r.status_code == 400 and code_of(r) == code, r.text


def test_speech_takes_the_sdks_voice_object(client, service):
    """openai>=3 sends a custom voice as {"id": ...}; it was 422 'must be a string'."""
    r = client.post("/v1/audio/speech", json={"input": TEXT, "voice": {"id": "ZHIYAN_EMO"}, "stream": False})
    assert r.status_code == 200, r.text
    assert service.synthesizer.calls[-1]["voice"] == "zhiyan_emo"
    for bad in ({"id": 3}, {"name": "x"}, {"id": "zhiyan_emo", "x": 1}):
        r = client.post("/v1/audio/speech", json={"input": TEXT, "voice": bad})
        assert r.status_code == 422 and code_of(r) == "invalid_voice", r.text
    r = client.post("/v1/audio/speech", json={"input": TEXT, "voice": {"id": "nobody"}})
    assert r.status_code == 400 and code_of(r) == "unknown_voice", r.text
    schema = client.get("/openapi.json").json()["paths"]["/v1/audio/speech"]["post"]["requestBody"]
    assert "object" in str(schema["content"]["application/json"]["schema"]["properties"]["voice"])


@pytest.mark.parametrize("route,key", [("/v1/tts", "text"), ("/v1/audio/speech", "input")])
@pytest.mark.parametrize("lexicon", ["银行 yin2 hang2\n" * 1100, "a AH0\n" * 3000])
def test_a_lexicon_over_16_kib_is_413_whatever_its_characters(client, route, key, lexicon):
    """Over 16,384 characters was 422 invalid_lexicon, over 16,384 bytes but fewer characters 413."""
    assert len(lexicon.encode()) > 16384
    r = client.post(route, json={key: TEXT, "lexicon": lexicon})
    assert r.status_code == 413 and code_of(r) == "lexicon_too_large", r.text


@pytest.mark.parametrize("extra", [{}, {"stream": False}, {"response_format": "flac"}, {"stream_format": "sse"}])
def test_speech_from_a_test_voice_says_so_in_a_header(client, extra):
    """/v1/tts answers test_voice; the audio bytes of /v1/audio/speech carried no such label."""
    r = client.post("/v1/audio/speech", json={"input": TEXT, **extra})
    assert r.status_code == 200 and r.headers.get("x-test-voice") == "true", r.headers
