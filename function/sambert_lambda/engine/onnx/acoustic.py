"""Sambert acoustic model without torch: two ONNX graphs plus the autoregressive loops in numpy.

- ``am_encoder.onnx``: text encoder, speaker embedding, pitch/energy predictors and their embeddings
  (inputs: the four linguistic id streams, speaker ids, emotion embeddings, pitch/energy shifts).
- duration predictor (2-layer LSTM fed back through a prenet, one phone per step): numpy, weights from
  ``am_loops.bin`` (float32 arrays end to end, indexed in ``am.json``: :func:`save_loop_weights`).
- length regulation and the position-in-phone encoding: numpy.
- PNCA decoder (one step per ``outputs_per_step`` frames, band-limited attention with cached keys/values): numpy,
  solved as the torch engine does: fixed-point passes over all steps at once (matrix products instead of one
  bandwidth-bound row per step), then step by step if they converge too slowly.
- ``am_postnet.onnx``: FSMN + LSTM postnet over the whole line.

The math follows :mod:`sambert_lambda.engine.torch.sambert` step for step (the same weights; float32 throughout), so the
output agrees with the torch engine up to float summation order. Written by :mod:`engine.torch.onnx_am_export`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sambert_lambda.engine.fixedpoint import settle
from sambert_lambda.engine.onnx.vocoder import session_options
from sambert_lambda.errors import InvalidInput, ModelError
from sambert_lambda.types import Controls

ENCODER_FILE, POSTNET_FILE, LOOPS_FILE, META_FILE = (
    "am_encoder.onnx",
    "am_postnet.onnx",
    "am_loops.bin",
    "am.json",
)
# 2: the loop weights as one raw float32 file indexed in am.json, the decoder's matrices already [in, out]. For the
# real-size voice this took the load of those weights from 0.11-0.13 s (an .npz, then transposing 16.5 MB) to about
# 0.01 s. Exports of another format are written again.
AM_FORMAT = 2
_ALIGN = 16  # floats: every array starts on a 64-byte boundary
STREAMS = ("sy", "tone", "syllable_flag", "word_segment", "emotion", "speaker")


def save_loop_weights(path: Path, arrays: dict[str, np.ndarray]) -> dict[str, list]:
    """Write ``arrays`` as float32, C order, end to end (each padded to 64 bytes) to ``path``; returns the index
    (name -> [offset in floats, shape]) that :func:`load_loop_weights` reads them back with."""
    index: dict[str, list] = {}
    offset = 0
    with open(path, "wb") as f:
        for name, a in arrays.items():
            a = np.ascontiguousarray(a, dtype=np.float32)
            index[name] = [offset, list(a.shape)]
            f.write(a.tobytes())
            pad = (-a.size) % _ALIGN
            f.write(b"\0" * (4 * pad))
            offset += a.size + pad
    return index


def load_loop_weights(path: Path, index: dict) -> dict[str, np.ndarray]:
    """The arrays :func:`save_loop_weights` wrote, as views of one buffer read in a single call."""
    raw = np.fromfile(path, dtype=np.float32)
    out = {}
    for name, (offset, shape) in index.items():
        n = int(np.prod(shape, dtype=np.int64))
        if offset < 0 or offset + n > raw.size:
            raise ModelError(f"{path} is shorter than its index in {META_FILE} (export it again)")
        out[name] = raw[offset : offset + n].reshape(shape)
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """Layer norm over the last axis of ``[n, d]`` rows (the decoder's step inputs)."""
    d = np.float32(x.shape[-1])
    xc = x - np.add.reduce(x, axis=-1, keepdims=True) / d
    var = np.add.reduce(xc * xc, axis=-1, keepdims=True) / d
    return xc / np.sqrt(var + np.float32(eps)) * w + b


def _lstm_cell(x, h, c, w_ih, w_hh, b_ih, b_hh):
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, g, o = np.split(gates, 4, axis=-1)
    c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    return h.astype(np.float32), c.astype(np.float32)


@dataclass
class NumpyAMOutput:
    dur_rounded: np.ndarray  # int64 [N]
    n_frames: int
    mel: np.ndarray  # float32 [n_frames, num_mels]


class OnnxAcousticModel:
    # as the torch engine's HybridAttentionDecoder: 0 = always step by step
    jacobi_max_passes = 12
    jacobi_tol = 1e-5  # relative to max(1, |frame|): above float noise, far below the parity tolerance (1e-4)

    def __init__(self, model_dir: str | Path, threads: int = 1):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelError("the ONNX acoustic model needs the 'onnxruntime' package") from None
        d = Path(model_dir)
        for f in (ENCODER_FILE, POSTNET_FILE, LOOPS_FILE, META_FILE):
            if not (d / f).is_file():
                raise ModelError(
                    f"ONNX acoustic model file {d / f} is missing (export it with onnx_am_export)"
                )
        # The extended and layout optimizations change nothing measurable in these two graphs (the same outputs
        # and run time, in-process A/B) but took 0.03 s more to create the sessions at load.
        opts = session_options(threads, optimize="basic")
        self.encoder = ort.InferenceSession(str(d / ENCODER_FILE), opts, providers=["CPUExecutionProvider"])
        self.postnet = ort.InferenceSession(str(d / POSTNET_FILE), opts, providers=["CPUExecutionProvider"])
        meta = json.loads((d / META_FILE).read_text(encoding="utf-8"))
        self.r = int(meta["outputs_per_step"])
        self.num_mels = int(meta["num_mels"])
        self.sizes: dict[str, int] = {k: int(v) for k, v in meta["unit_sizes"].items()}
        self.emotion_neutral_id = int(meta["emotion_neutral_id"])
        self.emotion_none_id = int(meta["emotion_none_id"])
        self.n_emotion_types = int(meta["n_emotion_types"])
        self.ln_eps = float(meta["ln_eps"])
        self.n_head, self.d_head = int(meta["n_head"]), int(meta["d_head"])
        self.max_positions = int(meta["max_positions"]) if "max_positions" in meta else None
        if int(meta.get("format", 1)) != AM_FORMAT or "loops" not in meta:
            raise ModelError(f"{d / META_FILE} is of another export format (export the voice again)")
        self.w = load_loop_weights(d / LOOPS_FILE, meta["loops"])
        self.n_layer = int(meta["decoder_layers"])
        self.n_dur_layers = int(meta["duration_lstm_layers"])
        self.n_prenet_dur = int(meta["duration_prenet_layers"])
        self.n_prenet_dec = int(meta["decoder_prenet_layers"])
        # the decoder's matrices come stored as contiguous [in, out]: row-vector @ matrix without strided reads
        w = self.w
        self._dec_layers = [
            tuple(w[f"dec{i}_{n}"]
                  for n in ("ln1_w", "ln1_b", "qkv_wt", "qkv_b", "fc_wt", "fc_b", "ln2_w", "ln2_b", "w1t", "b1", "w2t", "b2"))
            for i in range(self.n_layer)
        ]  # fmt: skip
        self._dec_out_wt = w["dec_out_wt"]

    # ------------------------------------------------------------------ pieces
    def _ids(self, ids: dict) -> dict[str, np.ndarray]:
        out = {}
        for name in STREAMS:
            if name not in ids:
                raise InvalidInput(f"id stream {name!r} missing")
            a = np.asarray(ids[name])
            if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
                raise InvalidInput(f"id stream {name!r} must be a 1-D integer array")
            if len(a) < 2:
                raise InvalidInput("no phones: the id streams hold only the EOS")
            if int(a.min()) < 0 or int(a.max()) >= self.sizes[name]:
                raise InvalidInput(f"id stream {name!r} has ids outside [0, {self.sizes[name]})")
            out[name] = a[:-1].astype(np.int64)
        if len({len(a) for a in out.values()}) != 1:
            raise InvalidInput("id streams differ in length")
        n = len(out["sy"])
        if self.max_positions is not None and n > self.max_positions:
            raise InvalidInput(f"a sentence of {n} symbols is longer than the {self.max_positions} this ONNX model "
                               "takes; split it into shorter lines", code="sentence_too_long")  # fmt: skip
        return out

    def _emotion(self, emo: np.ndarray, intensity: float) -> np.ndarray:
        table = self.w["emo_table"]
        e = table[emo]
        if intensity == 1:
            return e
        if not 0 <= intensity <= 2:
            raise InvalidInput("emotion_intensity must lie in [0, 2]")
        blend = (emo != self.emotion_none_id) & (emo < self.n_emotion_types)
        neutral = table[self.emotion_neutral_id]
        mixed = (neutral + np.float32(intensity) * (e - neutral)).astype(np.float32)
        return np.where(blend[:, None], mixed, e).astype(np.float32)

    def _durations(self, cond: np.ndarray) -> np.ndarray:
        w = self.w
        n_pre = w[f"dur_prenet_w{self.n_prenet_dur - 1}"].shape[0]
        w_ih0 = w["dur_w_ih_0"]
        bias_steps = cond @ w_ih0[:, n_pre:].T + w["dur_b_ih_0"]
        hidden = w["dur_w_hh_0"].shape[1]
        state = [
            (np.zeros((1, hidden), np.float32), np.zeros((1, hidden), np.float32))
            for _ in range(self.n_dur_layers)
        ]
        out = np.empty(len(cond), np.float32)
        x = np.zeros((1, 1), np.float32)
        prenet = [(w[f"dur_prenet_w{j}"], w[f"dur_prenet_b{j}"]) for j in range(self.n_prenet_dur)]
        cells = [(w_ih0[:, :n_pre], w["dur_w_hh_0"], bias_steps, w["dur_b_hh_0"])] + [
            (w[f"dur_w_ih_{i}"], w[f"dur_w_hh_{i}"], w[f"dur_b_ih_{i}"], w[f"dur_b_hh_{i}"])
            for i in range(1, self.n_dur_layers)
        ]
        for i in range(len(cond)):
            for wt, bs in prenet:
                x = np.maximum(x @ wt.T + bs, 0)
            for j, (w_ih, w_hh, b_ih, b_hh) in enumerate(cells):
                b = b_ih[i] if j == 0 else b_ih
                state[j] = _lstm_cell(x, *state[j], w_ih, w_hh, b, b_hh)
                x = state[j][0]
            x = np.maximum(x @ w["dur_fc_w"].T + w["dur_fc_b"], 0).astype(np.float32)
            out[i] = x[0, 0]
        return out

    def _decode(self, memory: np.ndarray, band: int) -> np.ndarray:
        """Autoregressive PNCA decoding over the S memory steps: [S, d_mem] -> [S, d_out], as the torch engine's
        ``HybridAttentionDecoder.decode``: fixed-point (Jacobi) passes over all unsettled steps at once, then step
        by step from the last settled step if they converge too slowly. Both give the step-by-step result to float
        rounding (a settled input moved less than ``jacobi_tol`` in its last pass)."""
        plan = _DecodePlan(self, memory, band)
        n_steps = len(memory)
        out = np.empty((n_steps, plan.d_out), np.float32)
        d_fb = self.num_mels
        frames = np.zeros((n_steps, plan.d_in), np.float32)
        start = settle(plan.run, frames, out, d_fb, max_passes=self.jacobi_max_passes, tol=self.jacobi_tol)
        frame = out[start - 1 : start, -d_fb:] if start else np.zeros((1, plan.d_in), np.float32)
        for t in range(start, n_steps):
            plan.run(frame, t, t + 1, out[t : t + 1])
            frame = out[t : t + 1, -d_fb:]
        return out

    # ------------------------------------------------------------------ inference
    def infer(self, ids: dict, controls: Controls | None = None) -> NumpyAMOutput:
        c = controls or Controls()
        speed = float(c.speed)
        if not (np.isfinite(speed) and speed > 0):
            raise InvalidInput(f"speed must be a positive number, got {c.speed!r}")
        x = self._ids(ids)
        emo = self._emotion(x["emotion"], float(c.emotion_intensity))
        _text_hid, spk, _pitch, _energy, text_aug = self.encoder.run(
            None,
            {
                "sy": x["sy"], "tone": x["tone"], "syllable_flag": x["syllable_flag"], "ws": x["word_segment"],
                "speaker": x["speaker"], "emo": emo,
                "pitch_shift": np.array([c.pitch], np.float32), "energy_shift": np.array([c.energy], np.float32),
            },
        )  # fmt: skip
        log_dur = self._durations(np.concatenate([text_aug, spk, emo], axis=-1).astype(np.float32))
        dur = np.exp(log_dur).astype(np.float32) - np.float32(1)
        if speed != 1:
            dur = (dur / np.float32(speed)).astype(np.float32)
        dur_rounded = (dur + np.float32(0.5)).astype(np.int64)
        r = self.r
        band = int(np.float32(dur.max()) / np.float32(r) + np.float32(0.5))
        n_frames = int(dur_rounded.sum())
        if n_frames == 0:
            return NumpyAMOutput(dur_rounded, 0, np.zeros((0, self.num_mels), np.float32))
        n_pad = -(-n_frames // r) * r
        phone_of_frame = np.repeat(np.arange(len(dur_rounded)), dur_rounded)
        starts = np.cumsum(dur_rounded) - dur_rounded
        dur_pos = np.zeros(n_pad, np.float32)
        dur_pos[:n_frames] = (np.arange(n_frames) - starts[phone_of_frame] + 1).astype(np.float32)
        pe = dur_pos[:, None] / self.w["dur_pos_inv_timescales"][None, :]
        pe[:, 0::2] = np.sin(pe[:, 0::2])
        pe[:, 1::2] = np.cos(pe[:, 1::2])
        lr_text = np.zeros((n_pad, text_aug.shape[1]), np.float32)
        lr_text[:n_frames] = text_aug[phone_of_frame]
        lr_text = lr_text + pe
        first = phone_of_frame[::r]
        memory = np.concatenate([lr_text.reshape(n_pad // r, -1), spk[first], emo[first]], axis=-1).astype(
            np.float32
        )
        dec = self._decode(memory, band).reshape(n_pad, self.num_mels)[:n_frames]
        residual = self.postnet.run(None, {"dec": np.ascontiguousarray(dec)})[0]
        return NumpyAMOutput(dur_rounded, n_frames, (residual + dec).astype(np.float32))


class _DecodePlan:
    """One decode's prepared state: memory-side projections, key/value buffers and masks, for :meth:`run`.

    Keys and values live in ``kv[layer, k|v, x|h, row, H, dh]``: decoder step s at row s + band (written by
    :meth:`run`), memory step s at row s. Rows t .. t+band then hold both the X band (decoder steps t-band .. t) and
    the H band (memory steps t .. t+band) of step t; rows without a step stay zero and are masked.
    """

    def __init__(self, am: OnnxAcousticModel, memory: np.ndarray, band: int):
        w, n_layer, n_head, d_head = am.w, am.n_layer, am.n_head, am.d_head
        n_steps, d_mem = memory.shape
        self.band, self.width, self.d_att, self.eps = band, band + 1, n_head * d_head, am.ln_eps
        self.n_head, self.d_head = n_head, d_head
        rows = n_steps + band
        self.kv = np.zeros((n_layer, 2, 2, rows, n_head, d_head), np.float32)
        h_kv = (memory @ w["dec_w_h"].T + w["dec_b_h"]).reshape(n_steps, n_layer, 2, n_head, d_head)
        self.kv[:, :, 1, :n_steps] = h_kv.transpose(1, 2, 0, 3, 4)
        slot = np.arange(n_steps)[:, None] + np.arange(self.width)[None, :]  # buffer row of band slot j of step t
        valid = np.stack([slot >= band, slot < n_steps], axis=1)  # [S, x|h, w]
        self.mask = np.where(valid, np.float32(0), np.float32(-np.inf))[:, :, None, :]  # [S, x|h, 1, w]
        w_in = w["dec_in_w"]
        self.mem_in = memory @ w_in[:, :d_mem].T + w["dec_in_b"]
        self.w_in_x_t = np.ascontiguousarray(w_in[:, d_mem:].T)
        self.scale = np.float32(w_in.shape[0] ** 0.5)
        self.att_scale = np.float32(1.0 / np.sqrt(d_head))
        self.prenet = [(np.ascontiguousarray(w[f"dec_prenet_w{j}"].T), w[f"dec_prenet_b{j}"])
                       for j in range(am.n_prenet_dec)]  # fmt: skip
        self.d_in = self.prenet[0][0].shape[0]
        self.layers = am._dec_layers
        self.ln_w, self.ln_b = w["dec_ln_w"], w["dec_ln_b"]
        self.out_w, self.out_b = am._dec_out_wt, w["dec_out_b"]
        self.d_out = self.out_w.shape[1]

    def run(self, frames: np.ndarray, lo: int, hi: int, out: np.ndarray) -> None:
        """Decoder steps lo..hi-1 at once from their input frames [hi-lo, d_in] (teacher forcing) into ``out``.

        Needs the X keys/values of steps lo-band..lo-1 from earlier calls; writes those of lo..hi-1."""
        n, band, width, d_att, eps = hi - lo, self.band, self.width, self.d_att, self.eps
        y = frames
        for j, (wt, bs) in enumerate(self.prenet):
            y = y @ wt + bs
            if j < len(self.prenet) - 1:
                y = np.maximum(y, 0)
        x = (self.mem_in[lo:hi] + y @ self.w_in_x_t) * self.scale
        mask = self.mask[lo:hi]
        for i, (ln1w, ln1b, w_qkv, b_qkv, w_fc, b_fc, ln2w, ln2b, w1, b1, w2, b2) in enumerate(self.layers):
            qkv = _layer_norm(x, ln1w, ln1b, eps) @ w_qkv + b_qkv  # [n, q | x_k | x_v]
            kv = self.kv[i]
            kv[:, 0, lo + band : hi + band] = qkv[:, d_att:].reshape(n, 2, self.n_head, self.d_head).transpose(1, 0, 2, 3)
            win = np.lib.stride_tricks.sliding_window_view(kv[:, :, lo : hi + band], width, axis=2)  # [k|v, x|h, n, H, dh, w]
            q = qkv[:, :d_att].reshape(n, 1, self.n_head, self.d_head, 1)
            s = (win[0].transpose(1, 0, 2, 3, 4) * q).sum(3) * self.att_scale + mask  # [n, x|h, H, w]
            s = np.exp(s - s.max(-1, keepdims=True))
            p = s / s.sum(-1, keepdims=True)
            o = (win[1].transpose(1, 0, 2, 3, 4) * p[:, :, :, None, :]).sum(-1)  # [n, x|h, H, dh]
            x = o.reshape(n, 2 * d_att) @ w_fc + b_fc + x
            x = np.maximum(_layer_norm(x, ln2w, ln2b, eps) @ w1 + b1, 0) @ w2 + b2 + x
        out[:] = _layer_norm(x, self.ln_w, self.ln_b, eps) @ self.out_w + self.out_b
