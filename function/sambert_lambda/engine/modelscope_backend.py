"""Optional stock backend (``TTS_BACKEND=modelscope``): ModelScope's own Sambert-HifiGAN pipeline with ttsfrd.

The native engine is the default and needs none of this. The stock pipeline is useful as a reference and for text
features our open frontend does not cover, but it has hard requirements:

- **Python 3.10 or older.** ``SambertHifigan.__init__`` raises ``ImportError('Python version needs to be <= 3.10')``
  on 3.11+, and ttsfrd has no cp311 wheels.
- **The real ttsfrd (and kantts) wheels from ModelScope's own index**, never the PyPI packages of the same names
  (empty placeholders). ModelScope documents ``pip install "modelscope[audio]" -f
  https://modelscope.oss-cn-beijing.aliyuncs.com/releases/repo.html``; that ``-f`` page is where the ttsfrd and
  kantts wheels live.
- **A writable model directory**: the model extracts ``resource.zip`` into its own directory on every load. Lambda's
  image is read-only, so :func:`writable_model_dir` builds a symlink farm under ``/tmp`` (only ``resource/`` is
  real) and the pipeline is pointed there.
- Old scipy/numpy names (``scipy.signal.kaiser``, ``np.float`` ...): :func:`sambert_lambda.compat.apply` runs first.

Building such an image (Dockerfile sketch; x86_64, the ttsfrd wheels are manylinux x86_64)::

    FROM public.ecr.aws/lambda/python:3.10
    RUN pip install --no-cache-dir torch --index-url https://download.pytorch.org/whl/cpu
    # ttsfrd/kantts come from ModelScope's find-links page; --no-index for them avoids the PyPI placeholders
    RUN pip install --no-cache-dir --no-index -f https://modelscope.oss-cn-beijing.aliyuncs.com/releases/repo.html \\
            ttsfrd kantts \\
     && pip install --no-cache-dir "modelscope[audio]" -f https://modelscope.oss-cn-beijing.aliyuncs.com/releases/repo.html
    COPY . /src
    RUN pip install --no-cache-dir /src \\
     && sambert-lambda bake-model --cache /opt/modelscope --revision <pinned tag>
    ENV MODELSCOPE_CACHE=/opt/modelscope TTS_BACKEND=modelscope

Verify in the build (``python -c "import ttsfrd; ttsfrd.TtsFrontendEngine()"``) so a placeholder wheel fails the
build rather than the first request.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import sys
import tempfile
import threading
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sambert_lambda.errors import InvalidInput, ModelError, UnknownVoice

log = logging.getLogger(__name__)

OUTPUT_WAV_KEY = "output_wav"  # modelscope.outputs.OutputKeys.OUTPUT_WAV
RESOURCE_DIR = "resource"  # what SambertHifigan extracts resource.zip into


def writable_model_dir(model_dir: Path, tmp_root: Path | None = None) -> Path:
    """``model_dir`` itself if writable, else a /tmp symlink farm of it (everything but ``resource/``)."""
    model_dir = Path(model_dir).resolve()
    if os.access(model_dir, os.W_OK):
        return model_dir
    root = Path(tmp_root or tempfile.gettempdir())
    digest = hashlib.sha256(str(model_dir).encode()).hexdigest()[:12]
    farm = root / f"modelscope-model-{digest}"
    farm.mkdir(parents=True, exist_ok=True)
    for entry in model_dir.iterdir():
        link = farm / entry.name
        if entry.name == RESOURCE_DIR or link.exists() or link.is_symlink():
            continue
        link.symlink_to(entry, target_is_directory=entry.is_dir())
    log.info("model dir %s is read-only: using symlink farm %s", model_dir, farm)
    return farm


def wav_bytes_to_pcm(data: bytes) -> tuple[np.ndarray, int]:
    """A 16-bit mono PCM WAV (what the pipeline returns) -> (int16 samples, sample rate)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getsampwidth() != 2 or w.getnchannels() != 1:
                raise ModelError(
                    f"pipeline returned {w.getnchannels()}-channel {8 * w.getsampwidth()}-bit audio"
                )
            rate = w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as e:
        raise ModelError(f"pipeline returned invalid WAV data: {e}") from None
    return np.frombuffer(frames, dtype="<i2").astype(np.int16), rate


def _default_pipeline_factory(model_dir: str):
    from sambert_lambda import compat

    compat.apply()
    try:
        from modelscope.pipelines import pipeline
        from modelscope.utils.constant import Tasks
    except ImportError as e:
        raise ModelError(
            f"TTS_BACKEND=modelscope needs modelscope with the real ttsfrd wheels ({e}); see "
            "sambert_lambda.engine.modelscope_backend for the image recipe"
        ) from None
    return pipeline(task=Tasks.text_to_speech, model=model_dir)


class ModelScopeBackend:
    """``synthesize(text, voice) -> (pcm int16, sample_rate)`` through ModelScope's stock pipeline."""

    def __init__(
        self,
        model_dir: Path,
        voices: list[str],
        *,
        tmp_root: Path | None = None,
        pipeline_factory: Callable[[str], object] | None = None,
    ):
        if not voices:
            raise ModelError("the modelscope backend needs at least one voice")
        self.model_dir = Path(model_dir)
        self.voices = list(voices)
        self.default_voice = self.voices[0]
        work_dir = writable_model_dir(self.model_dir, tmp_root)
        factory = pipeline_factory or _default_pipeline_factory
        try:
            self._pipeline = factory(str(work_dir))
        except ModelError:
            raise
        except Exception as e:  # noqa: BLE001 - report why the stock pipeline cannot start
            hint = " (it needs Python <= 3.10)" if sys.version_info >= (3, 11) else ""
            raise ModelError(f"ModelScope pipeline failed to load{hint}: {type(e).__name__}: {e}") from None
        self._lock = threading.Lock()  # ttsfrd's frontend engine is not documented as thread-safe

    @classmethod
    def from_settings(cls, settings, **kwargs) -> ModelScopeBackend:
        from sambert_lambda.engine.torch.voice import ModelStore

        store = ModelStore.from_settings(settings)
        return cls(store.model_dir, store.voice_names, **kwargs)

    def synthesize(self, text: str, voice: str | None = None) -> tuple[np.ndarray, int]:
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput("text is empty")
        voice = voice or self.default_voice
        if voice not in self.voices:
            raise UnknownVoice(f"unknown voice {voice!r}; available: {', '.join(self.voices)}")
        with self._lock:
            try:
                result = self._pipeline(input=text, voice=voice)
            except Exception as e:  # noqa: BLE001 - the stock pipeline raises plain exceptions
                raise ModelError(f"ModelScope pipeline failed: {type(e).__name__}: {e}") from None
        data = result.get(OUTPUT_WAV_KEY) if isinstance(result, dict) else None
        if not isinstance(data, (bytes, bytearray)):
            raise ModelError(f"ModelScope pipeline returned no '{OUTPUT_WAV_KEY}' bytes")
        return wav_bytes_to_pcm(bytes(data))
