"""The bench's HTTP streaming figure: `serve` on the tiny test voice, the streamed speech read chunk by chunk."""

from __future__ import annotations

from tools.perf import http_stream

TEXT = "今天天气很好。我们去公园散步吧。欢迎使用语音合成服务。"


def test_measures_first_chunk_and_total_over_real_http(test_voice_dir):
    out = http_stream.measure(test_voice_dir, {"three": TEXT, "one": "你好。"})
    three, one = out["three"], out["one"]
    assert three["chars"] == len(TEXT) and three["format"] == "pcm"
    assert 0 < three["first_chunk_ms"] <= 1000 * three["total_s"]
    assert three["chunks"] >= 2  # streamed: more than one body chunk
    assert three["bytes"] % 2 == 0 and three["audio_s"] == round(three["bytes"] / 2 / 24000, 3)
    assert three["audio_s"] > one["audio_s"] > 0
