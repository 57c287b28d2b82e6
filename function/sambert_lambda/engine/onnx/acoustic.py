"""Sambert acoustic model without torch: two ONNX graphs plus the autoregressive loops in numpy.

- ``am_encoder.onnx``: text encoder, speaker embedding, pitch/energy predictors and their embeddings
  (inputs: the four linguistic id streams, speaker ids, emotion embeddings, pitch/energy shifts).
- duration predictor (2-layer LSTM fed back through a prenet, one phone per step): numpy, weights from
  ``am_loops.npz``.
- length regulation and the position-in-phone encoding: numpy.
- PNCA decoder (one step per ``outputs_per_step`` frames, band-limited attention with cached keys/values): numpy.
- ``am_postnet.onnx``: FSMN + LSTM postnet over the whole line.

The math follows :mod:`sambert_lambda.engine.torch.sambert` step for step (the same weights; float32 throughout), so the
output agrees with the torch engine up to float summation order. Written by :mod:`engine.torch.onnx_am_export`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sambert_lambda.engine.onnx.vocoder import session_options
from sambert_lambda.errors import InvalidInput, ModelError
from sambert_lambda.types import Controls

ENCODER_FILE, POSTNET_FILE, LOOPS_FILE, META_FILE = (
    "am_encoder.onnx",
    "am_postnet.onnx",
    "am_loops.npz",
    "am.json",
)
STREAMS = ("sy", "tone", "syllable_flag", "word_segment", "emotion", "speaker")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-x))).astype(np.float32)


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """Layer norm over the last axis of a single row ``[1, d]`` (the decoder's step input)."""
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
        opts = session_options(threads)
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
        with np.load(d / LOOPS_FILE, allow_pickle=False) as z:
            self.w = {k: np.ascontiguousarray(z[k], dtype=np.float32) for k in z.files}
        self.n_layer = int(meta["decoder_layers"])
        self.n_dur_layers = int(meta["duration_lstm_layers"])
        self.n_prenet_dur = int(meta["duration_prenet_layers"])
        self.n_prenet_dec = int(meta["decoder_prenet_layers"])
        # decoder weights pre-transposed to contiguous [in, out]: row-vector @ matrix without strided reads
        t, w = np.ascontiguousarray, self.w
        self._dec_layers = [
            tuple(t(w[f"dec{i}_{n}"].T) if n in ("qkv_w", "fc_w", "w1", "w2") else w[f"dec{i}_{n}"]
                  for n in ("ln1_w", "ln1_b", "qkv_w", "qkv_b", "fc_w", "fc_b", "ln2_w", "ln2_b", "w1", "b1", "w2", "b2"))
            for i in range(self.n_layer)
        ]  # fmt: skip
        self._dec_out_wt = t(w["dec_out_w"].T)

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
        w, n_layer, n_head, d_head = self.w, self.n_layer, self.n_head, self.d_head
        n_steps, d_mem = memory.shape
        d_att, width = n_head * d_head, band + 1
        kv = np.zeros((n_layer, n_steps + band, 2, 2, n_head, d_head), np.float32)
        h_kv = (memory @ w["dec_w_h"].T + w["dec_b_h"]).reshape(n_steps, n_layer, 2, n_head, d_head)
        kv[:, :n_steps, :, 1] = h_kv.transpose(1, 0, 2, 3, 4)
        rows = np.arange(n_steps)[:, None] + np.arange(width)[None, :]
        valid = np.stack([rows >= band, rows < n_steps], axis=1)  # [S, 2, w]
        w_in = w["dec_in_w"]
        mem_in = memory @ w_in[:, :d_mem].T + w["dec_in_b"]
        w_in_x = np.ascontiguousarray(w_in[:, d_mem:])
        d_model = w_in.shape[0]
        scale = np.float32(d_model**0.5)
        att_scale = np.float32(1.0 / np.sqrt(d_head))
        prenet = [(w[f"dec_prenet_w{j}"], w[f"dec_prenet_b{j}"]) for j in range(self.n_prenet_dec)]
        layers = self._dec_layers
        d_out = w["dec_out_w"].shape[0]
        out_w = self._dec_out_wt
        out = np.empty((n_steps, d_out), np.float32)
        frame = np.zeros((1, prenet[0][0].shape[1]), np.float32)
        eps = self.ln_eps
        for t in range(n_steps):
            y = frame
            for j, (wt, bs) in enumerate(prenet):
                y = y @ wt.T + bs
                if j < len(prenet) - 1:
                    y = np.maximum(y, 0)
            x = (mem_in[t : t + 1] + y @ w_in_x.T) * scale
            neg = np.where(valid[t], np.float32(0), np.float32(-np.inf))[:, None, None, :]  # [2, 1, 1, w]
            for i, (ln1w, ln1b, w_qkv, b_qkv, w_fc, b_fc, ln2w, ln2b, w1, b1, w2, b2) in enumerate(layers):
                qkv = (_layer_norm(x, ln1w, ln1b, eps) @ w_qkv + b_qkv)[0]
                kv[i, t + band, :, 0] = qkv[d_att:].reshape(2, n_head, d_head)
                win = kv[i, t : t + width].transpose(1, 2, 3, 0, 4)  # [k|v, x|h, H, w, dh]
                q = qkv[:d_att].reshape(1, n_head, 1, d_head)
                s = (q @ win[0].transpose(0, 1, 3, 2)) * att_scale + neg  # [2, H, 1, w]
                s = np.exp(s - s.max(-1, keepdims=True))
                p = s / s.sum(-1, keepdims=True)
                o = (p @ win[1]).reshape(1, 2 * d_att)
                x = o @ w_fc + b_fc + x
                x = np.maximum(_layer_norm(x, ln2w, ln2b, eps) @ w1 + b1, 0) @ w2 + b2 + x
            y = _layer_norm(x, w["dec_ln_w"], w["dec_ln_b"], eps) @ out_w + w["dec_out_b"]
            out[t] = y[0]
            frame = y[:, -self.num_mels :].astype(np.float32)
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
