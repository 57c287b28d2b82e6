"""Contract test of the ttsfrd adapter against a FAKE engine object (the real ttsfrd cannot run here).

The fake implements the three calls the adapter relies on (initialize, set_lang_type, gen_tacotron_symbols) and
returns output in ttsfrd's documented shape: ``<idx>\\t<tokens>`` lines, always emotion_neutral / F7.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sambert_lambda.errors import InvalidInput, ModelError
from sambert_lambda.frontend import ttsfrd
from sambert_lambda.frontend.symbols import token_fields

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "kantts-golden"
REAL_LINE = next(ln for ln in (GOLDEN / "README.md").read_text("utf-8").splitlines() if ln.startswith("{b_c$"))

pytestmark = pytest.mark.contract


class FakeTtsFrontendEngine:
    """Stands in for ttsfrd.TtsFrontendEngine; records calls."""

    def __init__(self, ok: bool = True) -> None:
        self.ok = ok
        self.calls: list[tuple] = []

    def initialize(self, resource_dir: str) -> bool:
        self.calls.append(("initialize", resource_dir))
        return self.ok

    def set_lang_type(self, lang: str) -> None:
        self.calls.append(("set_lang_type", lang))

    def gen_tacotron_symbols(self, text: str) -> str:
        self.calls.append(("gen", text))
        return f"0\t{REAL_LINE}\n1\t{REAL_LINE}\n"


def test_adapter_initializes_and_sets_pinyin():
    eng = FakeTtsFrontendEngine()
    ttsfrd.TtsfrdFrontend(eng, "/res")
    assert eng.calls == [("initialize", "/res"), ("set_lang_type", "pinyin")]


def test_adapter_failed_initialize_is_model_error():
    with pytest.raises(ModelError):
        ttsfrd.TtsfrdFrontend(FakeTtsFrontendEngine(ok=False), "/res")


def test_segments_retag_emotion_and_speaker():
    fe = ttsfrd.TtsfrdFrontend(FakeTtsFrontendEngine(), "/res")
    segs = fe.segments("北京今天天气怎么样", emotion="happy", speaker="F74")
    assert len(segs) == 2
    for tok in segs[0].symbols.split():
        f = token_fields(tok)
        assert f[5] == "F74"
        assert f[4] == ("emotion_none" if f[0].startswith("#") else "emotion_happy")
    # everything but the two retagged fields is ttsfrd's output unchanged
    strip = [token_fields(t)[:4] for t in segs[0].symbols.split()]
    assert strip == [token_fields(t)[:4] for t in REAL_LINE.split()]


def test_ssml_breaks_through_adapter():
    eng = FakeTtsFrontendEngine()
    fe = ttsfrd.TtsfrdFrontend(eng, "/res")
    segs = fe.segments('<speak>你好<break time="300ms"/><emotion category="sad">再见</emotion></speak>', ssml=True)
    assert [c[1] for c in eng.calls if c[0] == "gen"] == ["你好", "再见"]
    assert segs[1].pause_after_ms == 300
    assert "emotion_sad" in segs[-1].symbols


def test_empty_text_and_analyze_unsupported():
    fe = ttsfrd.TtsfrdFrontend(FakeTtsFrontendEngine(), "/res")
    with pytest.raises(InvalidInput):
        fe.segments("  ")
    with pytest.raises(InvalidInput):
        fe.analyze("你好")


def test_get_frontend_kinds(monkeypatch):
    from sambert_lambda.frontend import pipeline

    monkeypatch.setattr(pipeline, "_FRONTENDS", {})
    monkeypatch.setattr(ttsfrd, "available", lambda: False)
    assert isinstance(pipeline.get_frontend("auto"), pipeline.OpenFrontend)
    with pytest.raises(ModelError):
        pipeline.get_frontend("ttsfrd")
    with pytest.raises(InvalidInput):
        pipeline.get_frontend("closed")


def test_parse_lines():
    assert ttsfrd.parse_lines("0\t{a}\n\n1\t{b}\n") == ["{a}", "{b}"]
