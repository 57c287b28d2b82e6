"""Incremental encoders for streamed responses: feed float32 pieces as the engine computes them, get bytes to send.

- ``pcm``: s16le mono, as is;
- ``wav``: a 44-byte header whose RIFF and data sizes are 0xFFFFFFFF ("unknown length", the streaming
  convention decoders accept), then s16le samples;
- ``mp3``: one LAME encoder across all chunks, so the frames are continuous (no gap between sentences);
- ``aac`` (when PyAV is installed): one AAC encoder across all chunks, ADTS frames sent as they are completed;
- ``opus`` and ``ogg`` (Vorbis): one Ogg stream; libsndfile writes pages as it encodes, and each call returns the
  pages completed so far.

FLAC is not streamed (its header carries the total length): callers fall back to the buffered answer.
"""

from __future__ import annotations

import io
import struct

import numpy as np

from sambert_lambda.audio import AAC_AVAILABLE, AacEncoder, content_type, mp3_encoder, to_int16
from sambert_lambda.errors import InvalidInput

STREAM_FORMATS: tuple[str, ...] = ("pcm", "wav", "mp3", "opus", "ogg") + (("aac",) if AAC_AVAILABLE else ())
__all__ = ["STREAM_FORMATS", "UNKNOWN_SIZE", "StreamEncoder", "content_type", "wav_stream_header"]  # content_type: audio's, one table
UNKNOWN_SIZE = 0xFFFFFFFF


def wav_stream_header(rate: int) -> bytes:
    """RIFF/WAVE header for 16-bit mono PCM of unknown length."""
    return (b"RIFF" + struct.pack("<I", UNKNOWN_SIZE) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
            + b"data" + struct.pack("<I", UNKNOWN_SIZE))  # fmt: skip


class StreamEncoder:
    def __init__(self, fmt: str, rate: int):
        if fmt not in STREAM_FORMATS:
            raise InvalidInput(f"{fmt} cannot be streamed; choose one of {', '.join(STREAM_FORMATS)}",
                               code="invalid_response_format")  # fmt: skip
        self.fmt, self.rate = fmt, int(rate)
        self._started = False
        self._mp3 = None
        self._aac: AacEncoder | None = None
        self._sf = None
        self._buf: io.BytesIO | None = None
        self._sent = 0

    def feed(self, audio: np.ndarray) -> bytes:
        head = self._start()
        if self.fmt in ("pcm", "wav"):
            return head + to_int16(audio).tobytes()
        if self.fmt == "mp3":
            return head + bytes(self._mp3.encode(to_int16(audio).tobytes()))  # type: ignore[union-attr]
        if self.fmt == "aac":
            return head + self._aac.feed(to_int16(audio))  # type: ignore[union-attr]
        self._sf.write(np.asarray(audio, dtype=np.float32))  # type: ignore[union-attr]
        return head + self._take()

    def close(self) -> bytes:
        head = self._start()
        if self.fmt == "mp3":
            return head + bytes(self._mp3.flush())  # type: ignore[union-attr]
        if self.fmt == "aac":
            return head + self._aac.close()  # type: ignore[union-attr]
        if self._sf is not None:
            self._sf.close()
            return head + self._take()
        return head

    def _start(self) -> bytes:
        if self._started:
            return b""
        self._started = True
        if self.fmt == "wav":
            return wav_stream_header(self.rate)
        if self.fmt == "mp3":
            self._mp3 = mp3_encoder(self.rate)
        elif self.fmt == "aac":
            self._aac = AacEncoder(self.rate)
        elif self.fmt in ("opus", "ogg"):
            import soundfile as sf

            self._buf = io.BytesIO()
            self._sf = sf.SoundFile(self._buf, "w", samplerate=self.rate, channels=1, format="OGG",
                                    subtype="OPUS" if self.fmt == "opus" else "VORBIS")  # fmt: skip
        return b""

    def _take(self) -> bytes:
        assert self._buf is not None
        data = self._buf.getvalue()
        out, self._sent = data[self._sent:], len(data)
        return out
