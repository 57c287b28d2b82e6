"""Float waveform -> int16 PCM, shared by every engine (numpy only)."""

from __future__ import annotations

import numpy as np


def to_pcm16(wav: np.ndarray) -> np.ndarray:
    """Float waveform -> int16 exactly as the reference: ``(32768.0 * wav).astype(int16)`` in float32.

    This truncates toward zero and does **not** clip: |wav| >= 1 wraps around (32768 -> -32768). Use it for
    parity checks only; products use :func:`to_pcm16_safe`.
    """
    return (np.float32(32768.0) * np.asarray(wav, dtype=np.float32)).astype(np.int16)


def to_pcm16_safe(wav: np.ndarray) -> np.ndarray:
    """Like :func:`to_pcm16` but NaN -> 0 and clipped to [-32768, 32767]; identical to it when |wav| < 1."""
    w = np.nan_to_num(np.asarray(wav, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    w = np.clip(w, np.float32(-1.0), np.float32(32767.0 / 32768.0))
    return (np.float32(32768.0) * w).astype(np.int16)
