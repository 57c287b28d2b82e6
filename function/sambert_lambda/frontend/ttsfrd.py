"""Optional adapter for the closed ``ttsfrd`` frontend (ModelScope's wheels: Linux x86_64, cp38/cp310 only).

The engine API used: ``TtsFrontendEngine()``, ``initialize(resource_dir) -> bool``, ``set_lang_type('pinyin')``
and ``gen_tacotron_symbols(text) -> str`` with one ``<idx>\\t<tokens>`` line per sentence. ttsfrd always writes
``emotion_neutral`` and speaker ``F7``; the adapter rewrites those two fields per request or SSML span.
The resource directory (unzipped ``resource.zip`` of the model) comes from ``SAMBERT_TTSFRD_RESOURCE_DIR``.
"""

from __future__ import annotations

import importlib
import os
import threading
from typing import Any

from sambert_lambda.errors import InvalidInput, ModelError
from sambert_lambda.frontend.symbols import EMOTIONS, SPEAKERS, emotion_token, token_fields
from sambert_lambda.types import Controls, Segment

RESOURCE_ENV = "SAMBERT_TTSFRD_RESOURCE_DIR"
DEFAULT_CONTROLS = Controls()


def available() -> bool:
    """True if a real ttsfrd with ``TtsFrontendEngine`` can be imported."""
    try:
        mod = importlib.import_module("ttsfrd")
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        return False
    return hasattr(mod, "TtsFrontendEngine")


def retag(symbols: str, emotion: str, speaker: str) -> str:
    """Rewrite the emotion and speaker fields of every token (pause tokens keep ``emotion_none``)."""
    out = []
    for tok in symbols.split():
        f = token_fields(tok)
        if not f[0].startswith("#") and f[4] != "emotion_none":
            f[4] = emotion_token(emotion)
        f[5] = speaker
        out.append("{" + "$".join(f) + "}")
    return " ".join(out)


def parse_lines(output: str) -> list[str]:
    """``gen_tacotron_symbols`` output -> symbol lines (index column dropped, empty lines skipped)."""
    lines = []
    for raw in output.splitlines():
        raw = raw.strip()
        if not raw:
            continue
        _, _, symbols = raw.partition("\t")
        lines.append((symbols or raw).strip())
    return [ln for ln in lines if ln]


class TtsfrdFrontend:
    """Frontend backed by a ttsfrd engine object (real, or any object with the same three methods)."""

    def __init__(self, engine: Any, resource_dir: str) -> None:
        if not engine.initialize(resource_dir):
            raise ModelError(f"ttsfrd could not initialize from {resource_dir!r}")
        engine.set_lang_type("pinyin")
        self.engine = engine
        self._lock = threading.Lock()

    @classmethod
    def from_installed(cls) -> TtsfrdFrontend:
        if not available():
            raise ModelError("frontend 'ttsfrd' was chosen but the ttsfrd package is not installed "
                             "(it exists only for Linux x86_64, Python 3.8/3.10)")
        resource_dir = os.environ.get(RESOURCE_ENV, "")
        if not resource_dir or not os.path.isdir(resource_dir):
            raise ModelError(f"set {RESOURCE_ENV} to the unzipped ttsfrd resource directory")
        mod = importlib.import_module("ttsfrd")
        return cls(mod.TtsFrontendEngine(), resource_dir)

    def _symbols(self, text: str) -> list[str]:
        with self._lock:
            return parse_lines(self.engine.gen_tacotron_symbols(text))

    def analyze(self, text: str) -> dict:
        raise InvalidInput("analyze is only available with the open frontend", code="unsupported")

    def segments(self, text: str, *, ssml: bool = False, emotion: str = "neutral", speaker: str = "F7",
                 controls: Controls = DEFAULT_CONTROLS, lexicon=None) -> list[Segment]:
        if lexicon:
            raise InvalidInput("lexicons need the open frontend (TTS_FRONTEND=open)", code="unsupported")
        if emotion.removeprefix("emotion_") not in EMOTIONS or speaker not in SPEAKERS:
            from sambert_lambda.frontend.pipeline import _check_voice

            _check_voice(emotion, speaker)
        if not text.strip():
            raise InvalidInput("the text is empty", code="empty_text")
        if ssml:
            from sambert_lambda.frontend.ssml import parse_ssml

            pieces = parse_ssml(text, emotion=emotion, controls=controls)
        else:
            from sambert_lambda.frontend.ssml import Piece

            pieces = [Piece(text=text, emotion=emotion, controls=controls)]
        out: list[Segment] = []
        for p in pieces:
            if p.break_ms is not None:
                if out:
                    out[-1].pause_after_ms += p.break_ms
                else:
                    out.append(Segment(symbols=None, pause_after_ms=p.break_ms))
                continue
            if not p.text.strip():
                continue
            for line in self._symbols(p.text):
                out.append(Segment(symbols=retag(line, p.emotion, speaker), text=p.text, controls=p.controls))
        if not any(s.symbols for s in out):
            raise InvalidInput("nothing speakable in the text", code="nothing_speakable")
        return out
