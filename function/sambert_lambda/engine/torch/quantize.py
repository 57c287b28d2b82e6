"""Dynamic int8 quantization, off by default and lossy: measured against fp32 with :func:`snr_db`.

- Acoustic model (torch): ``quantize_dynamic`` of the ``Linear``/``LSTM`` modules that are *called* as modules.
  The PNCA decoder and the duration predictor read their weights directly inside their autoregressive loops
  (that is what makes their per-step cost small), so they stay fp32; quantizing them would need kernel changes.
- Vocoder (ONNX Runtime): ``onnxruntime.quantization.quantize_dynamic`` (Conv -> ConvInteger, int8 weights).

Error budget used by the bench and docs/performance.md: mel SNR >= 40 dB and waveform SNR >= 30 dB versus fp32.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

# Submodules whose weights are consumed as raw tensors (F.linear / fused LSTM steps), not via module calls.
AM_RAW_WEIGHT_PREFIXES = ("mel_decoder.", "variance_adaptor.duration_predictor.")
MEL_SNR_BUDGET_DB = 40.0
WAV_SNR_BUDGET_DB = 30.0


def snr_db(reference: np.ndarray, test: np.ndarray) -> float:
    """Signal-to-noise ratio of ``test`` against ``reference`` in dB (inf when identical)."""
    ref = np.asarray(reference, dtype=np.float64)
    err = np.asarray(test, dtype=np.float64) - ref
    if ref.shape != err.shape:
        raise ValueError(f"shape mismatch: {ref.shape} vs {np.shape(test)}")
    noise = float(np.sum(err * err))
    if noise == 0.0:
        return float("inf")
    return 10.0 * float(np.log10(float(np.sum(ref * ref)) / noise))


def log_mel_distance_db(
    reference: np.ndarray,
    test: np.ndarray,
    sample_rate: int,
    n_fft: int = 1024,
    hop: int = 256,
    n_mels: int = 80,
) -> float:
    """Mean absolute difference in dB between the log-mel spectrograms of two waveforms (0 when identical).

    Hann-windowed STFT power, a triangular mel filterbank (HTK mel scale, 0 Hz to Nyquist), ``10 log10`` with a
    floor of 1e-10. A measure of what a listener would hear differ, next to the waveform SNR.
    """
    ref, got = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (reference, test))
    if ref.shape != got.shape:
        raise ValueError(f"shape mismatch: {ref.shape} vs {got.shape}")
    if ref.size < n_fft:
        raise ValueError(f"need at least {n_fft} samples, got {ref.size}")
    bins = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    mel = lambda f: 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)  # noqa: E731
    edges = 700.0 * (10.0 ** (np.linspace(0.0, mel(sample_rate / 2), n_mels + 2) / 2595.0) - 1.0)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    bank = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0.0, None)
    window = np.hanning(n_fft)
    starts = np.arange(0, ref.size - n_fft + 1, hop)

    def log_mel(x: np.ndarray) -> np.ndarray:
        frames = np.stack([x[s : s + n_fft] * window for s in starts])
        power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
        return 10.0 * np.log10(np.maximum(power @ bank.T, 1e-10))

    return float(np.mean(np.abs(log_mel(ref) - log_mel(got))))


def vocoder_fidelity(reference: np.ndarray, test: np.ndarray, sample_rate: int) -> dict[str, float]:
    """What a lossy vocoder costs against fp32 on the same mels: waveform SNR and log-mel distance, in dB."""
    return {
        "wav_snr_db": round(snr_db(reference, test), 2),
        "log_mel_distance_db": round(log_mel_distance_db(reference, test, sample_rate), 3),
    }


def am_quantizable_modules(am) -> list[str]:
    from torch import nn

    return [
        name
        for name, m in am.named_modules()
        if isinstance(m, (nn.Linear, nn.LSTM)) and not name.startswith(AM_RAW_WEIGHT_PREFIXES)
    ]


def quantize_am_dynamic(am):
    """A copy of the acoustic model with int8 dynamic quantization of its module-called Linear/LSTM layers."""
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

    spec = dict.fromkeys(am_quantizable_modules(am), default_dynamic_qconfig)
    q = quantize_dynamic(copy.deepcopy(am), qconfig_spec=spec, dtype=torch.qint8)
    q.eval()
    return q


def quantize_vocoder_onnx(src: str | Path, dst: str | Path, per_channel: bool = True) -> Path:
    """Write an int8 (dynamic, weights per channel) copy of an exported ONNX vocoder; metadata is kept."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    dst = Path(dst)
    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=per_channel)
    _copy_metadata(Path(src), dst)
    return dst


def _copy_metadata(src: Path, dst: Path) -> None:
    import onnx

    a, b = onnx.load(str(src), load_external_data=False), onnx.load(str(dst))
    have = {p.key for p in b.metadata_props}
    for p in a.metadata_props:
        if p.key not in have:
            entry = b.metadata_props.add()
            entry.key, entry.value = p.key, p.value
    onnx.save(b, str(dst))


class Bf16Vocoder:
    """A bfloat16 copy of a loaded HiFiGAN generator with the fp32 ``vocode`` contract (float32 numpy out).

    Lossy and opt-in: worth it only on CPUs with native bf16 (AVX512-BF16 / AMX on x86, bf16 on Graviton3+).
    Measured on the real-size test voice: waveform SNR 39.9 dB vs fp32, 1.4-1.7x less CPU (AMX machine).
    """

    def __init__(self, generator):
        import torch

        self.fp32 = generator
        self.model = copy.deepcopy(generator).to(torch.bfloat16).eval()
        self.hop_size = generator.hop_size
        self.in_channels = generator.in_channels

    def vocode(self, mel: np.ndarray, chunk_frames: int | None = None) -> np.ndarray:
        """As :meth:`HifiGanGenerator.vocode` (streamed for causal generators), in bfloat16."""
        return self.model.vocode(np.asarray(mel, dtype=np.float32), chunk_frames=chunk_frames)

    def pieces(self, mel: np.ndarray, chunk_frames: int | None = None):
        """As :meth:`HifiGanGenerator.pieces`, in bfloat16."""
        return self.model.pieces(np.asarray(mel, dtype=np.float32), chunk_frames=chunk_frames)
