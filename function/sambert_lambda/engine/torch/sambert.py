"""Inference-only Sambert acoustic model (KAN-TTS ``KanTtsSAMBERT``): linguistic ids -> mel spectrogram.

The module tree and parameter names follow KAN-TTS so that a published ``checkpoint['model']`` loads unchanged
(``load_state_dict``); the computation is written for batch-1 inference only: no masks, no dropout, no training
branches. Pipeline for one symbol line of N phones:

1. text encoder: ``(sy+tone+flag+ws embeddings) * sqrt(encoder_num_units) + PE`` -> pre-LN self-attention/conv
   FFN blocks -> LayerNorm -> ``ling_proj``;
2. variance adaptor: pitch and energy (FSMN -> BLSTM -> FC) from ``[text, spk, emo]``; their Conv1d embeddings
   are added to the text; an autoregressive LSTM predicts ``log(1+d)`` per phone; durations ``floor(d + 0.5)``
   drive the length regulator, plus a sinusoidal position-in-phone encoding; frames are padded to a multiple of
   ``outputs_per_step`` (r);
3. PNCA decoder: autoregressive over groups of r frames; each step attends to its last ``band`` steps (X) and to
   the memory ``[LFR text, spk, emo]`` at steps ``t..t+band`` (H);
4. postnet: FSMN -> LSTM -> FC, added to the decoder output.

The decoder keeps, per layer, the projected keys/values of past steps (X) and of the whole memory (H, projected
once) and attends only inside the band; it solves the autoregression by fixed-point passes over all steps at once,
falling back to step-by-step decoding (see :class:`HybridAttentionDecoder`). Results match the KAN-TTS
step-by-step decoder to float rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sambert_lambda.engine.fixedpoint import settle
from sambert_lambda.engine.units import EMOTION_NEUTRAL_ID, EMOTION_NONE_ID, EMOTION_TYPES, STREAMS
from sambert_lambda.errors import InvalidInput, ModelError
from sambert_lambda.types import Controls

LN_EPS = 1e-6

# Every key of KAN-TTS sambert_16k.yaml's KanTtsSAMBERT.params that this model reads.
_STRUCTURAL_KEYS = (
    "max_len", "embedding_dim", "encoder_num_layers", "encoder_num_heads", "encoder_num_units",
    "encoder_ffn_inner_dim", "encoder_projection_units", "speaker_units", "emotion_units",
    "predictor_filter_size", "predictor_fsmn_num_layers", "predictor_num_memory_units", "predictor_ffn_inner_dim",
    "predictor_shift", "predictor_lstm_units", "dur_pred_prenet_units", "dur_pred_lstm_units",
    "decoder_prenet_units", "decoder_num_layers", "decoder_num_heads", "decoder_num_units", "decoder_ffn_inner_dim",
    "outputs_per_step", "num_mels", "postnet_filter_size", "postnet_fsmn_num_layers", "postnet_num_memory_units",
    "postnet_ffn_inner_dim", "postnet_shift", "postnet_lstm_units",
)  # fmt: skip
# Training-only keys: accepted and ignored (inference has no dropout). MAS (monotonic alignment search) only adds an
# alignment module used to learn durations during training; inference takes the duration predictor either way, and
# the checkpoint's extra ``align_attention.*`` keys are ignored by the loader as unexpected keys.
_IGNORED_KEYS = (
    "MAS", "encoder_dropout", "encoder_attention_dropout", "encoder_relu_dropout", "predictor_dropout", "decoder_dropout",
    "decoder_attention_dropout", "decoder_relu_dropout", "postnet_dropout",
)  # fmt: skip
# KAN-TTS variants this engine does not implement; each must be absent or false.
_UNSUPPORTED_FLAGS = {
    "FP": "filled-pause (FP) prediction",
    "SE": "speaker-embedding (SE) input instead of speaker ids",
    "NSF": "NSF (f0/uv mel) models",
    "using_byte": "byte-index input",
}


def _check_params(params: dict, unit_sizes: dict[str, int]) -> dict:
    """Validate the AM params; return them merged with the unit sizes. Raises ModelError naming the option."""
    if not isinstance(params, dict):
        raise ModelError("KanTtsSAMBERT params must be a mapping")
    for flag, what in _UNSUPPORTED_FLAGS.items():
        if params.get(flag):
            raise ModelError(f"AM option {flag}: {params[flag]!r} is not supported ({what})")
    known = {*_STRUCTURAL_KEYS, *_IGNORED_KEYS, *_UNSUPPORTED_FLAGS, *STREAMS}  # STREAMS: table sizes
    unknown = sorted(k for k in params if k not in known)
    if unknown:
        raise ModelError(
            f"unknown AM option(s) {', '.join(unknown)}: this engine cannot tell how they change the model"
        )
    missing = [k for k in _STRUCTURAL_KEYS if k not in params]
    if missing:
        raise ModelError(f"AM params miss option(s) {', '.join(missing)}")
    p = dict(params)
    for k in STREAMS:  # embedding sizes come from LinguisticUnits.sizes; KAN-TTS also puts them into params
        if k not in unit_sizes:
            raise ModelError(f"linguistic unit size {k!r} missing")
        if k in params and int(params[k]) != int(unit_sizes[k]):
            raise ModelError(
                f"AM option {k}={params[k]} disagrees with the linguistic unit size {unit_sizes[k]}"
            )
        p[k] = int(unit_sizes[k])
    for k in _STRUCTURAL_KEYS:
        v = p[k]
        if k.endswith("_prenet_units"):
            ok = isinstance(v, list) and len(v) > 0 and all(_is_int(u) and u > 0 for u in v)
        elif k.endswith("_shift"):
            ok = all(_is_int(u) and u >= 0 for u in (v if isinstance(v, list) else [v]))
        else:
            ok = _is_int(v) and v > 0
        if not ok:
            raise ModelError(f"AM option {k}={v!r} is not valid")
    for kind in ("encoder", "decoder"):
        if p[f"{kind}_num_units"] % p[f"{kind}_num_heads"]:
            raise ModelError(
                f"{kind}_num_units {p[f'{kind}_num_units']} is not a multiple of {kind}_num_heads"
            )
    return p


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _layer_norm(x: torch.Tensor, ln: nn.LayerNorm) -> torch.Tensor:
    return F.layer_norm(x, ln.normalized_shape, ln.weight, ln.bias, ln.eps)


def sinusoid_table(n_position: int, depth: int) -> torch.Tensor:
    """KAN-TTS text position table [n, depth]: positions from 1, sin in the first half, cos in the second."""
    pos = np.arange(1, n_position + 1, dtype=np.float64)[:, None]
    angle = pos / np.power(10000, np.arange(depth // 2) / float(depth / 2 - 1))[None, :]
    table = np.zeros((n_position, depth))
    table[:, : depth // 2] = np.sin(angle)
    table[:, depth // 2 :] = np.cos(angle)
    return torch.tensor(table, dtype=torch.float32)


# --------------------------------------------------------------------------------------------------- encoder


class MultiHeadSelfAttention(nn.Module):
    """Pre-LN multi-head self-attention; the residual is added only when input and output widths match."""

    def __init__(self, n_head: int, d_in: int, d_model: int, d_head: int):
        super().__init__()
        self.n_head, self.d_head = n_head, d_head
        self.temperature = d_head**0.5
        self.layer_norm = nn.LayerNorm(d_in, eps=LN_EPS)
        self.w_qkv = nn.Linear(d_in, 3 * n_head * d_head)
        self.fc = nn.Linear(n_head * d_head, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [T, d_in] -> [T, d_model]
        t = x.size(0)
        q, k, v = self.w_qkv(self.layer_norm(x)).view(t, 3, self.n_head, self.d_head).permute(1, 2, 0, 3)
        attn = torch.softmax(torch.bmm(q, k.transpose(1, 2)) / self.temperature, dim=-1)
        out = self.fc(torch.bmm(attn, v).transpose(0, 1).reshape(t, -1))
        return out + x if out.size(-1) == x.size(-1) else out


class PositionwiseConvFeedForward(nn.Module):
    """Pre-LN ``conv(k0) -> relu -> conv(k1)`` with residual."""

    def __init__(self, d_in: int, d_hid: int, kernel_size: tuple[int, int]):
        super().__init__()
        self.w_1 = nn.Conv1d(d_in, d_hid, kernel_size[0], padding=(kernel_size[0] - 1) // 2)
        self.w_2 = nn.Conv1d(d_hid, d_in, kernel_size[1], padding=(kernel_size[1] - 1) // 2)
        self.layer_norm = nn.LayerNorm(d_in, eps=LN_EPS)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [T, d]
        y = self.layer_norm(x).t().unsqueeze(0)
        y = self.w_2(F.relu(self.w_1(y)))
        return y[0].t() + x


class FFTBlock(nn.Module):
    def __init__(self, d_in: int, d_model: int, n_head: int, d_inner: int):
        super().__init__()
        self.slf_attn = MultiHeadSelfAttention(n_head, d_in, d_model, d_model // n_head)
        self.pos_ffn = PositionwiseConvFeedForward(d_model, d_inner, (3, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pos_ffn(self.slf_attn(x))


class SinusoidalPositionEncoder(nn.Module):
    """Holds the saved table ``position_enc`` [1, max_len, depth]; longer inputs get the same formula extended."""

    def __init__(self, max_len: int, depth: int):
        super().__init__()
        self.register_buffer("position_enc", sinusoid_table(max_len, depth).unsqueeze(0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [T, depth]
        t = x.size(0)
        table = self.position_enc[0]
        if t > table.size(0):
            table = sinusoid_table(t, table.size(1)).to(x)
        return x + table[:t]


class SelfAttentionEncoder(nn.Module):
    def __init__(self, n_layer: int, d_in: int, d_model: int, n_head: int, d_inner: int, max_len: int):
        super().__init__()
        self.d_model = d_model
        dims = [d_in] + [d_model] * (n_layer - 1)
        self.fft = nn.ModuleList([FFTBlock(d, d_model, n_head, d_inner) for d in dims])
        self.ln = nn.LayerNorm(d_model, eps=LN_EPS)
        self.position_enc = SinusoidalPositionEncoder(max_len, d_in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.position_enc(x * self.d_model**0.5)  # sqrt(d_model), not sqrt(d_in): as KAN-TTS
        for layer in self.fft:
            x = layer(x)
        return self.ln(x)


class TextFftEncoder(nn.Module):
    def __init__(self, p: dict):
        super().__init__()
        d_emb = p["embedding_dim"]
        self.sy_emb = nn.Embedding(p["sy"], d_emb)
        self.tone_emb = nn.Embedding(p["tone"], d_emb)
        self.syllable_flag_emb = nn.Embedding(p["syllable_flag"], d_emb)
        self.ws_emb = nn.Embedding(p["word_segment"], d_emb)
        self.ling_enc = SelfAttentionEncoder(
            p["encoder_num_layers"], d_emb, p["encoder_num_units"], p["encoder_num_heads"],
            p["encoder_ffn_inner_dim"], p["max_len"],
        )  # fmt: skip
        self.ling_proj = nn.Linear(p["encoder_num_units"], p["encoder_projection_units"], bias=False)

    def forward(self, sy, tone, syllable_flag, ws) -> torch.Tensor:  # 4 x [N] -> [N, proj]
        emb = self.sy_emb(sy) + self.tone_emb(tone) + self.syllable_flag_emb(syllable_flag) + self.ws_emb(ws)
        return self.ling_proj(self.ling_enc(emb))


# ------------------------------------------------------------------------------------------ variance adaptor


class Prenet(nn.Module):
    """``(Linear -> ReLU -> Dropout)*`` [-> Linear]; the parameter-free slots keep KAN-TTS's ``fcs.<i>`` indices."""

    def __init__(self, in_units: int, units: list[int], out_units: int = 0):
        super().__init__()
        layers: list[nn.Module] = []
        for d_in, d_out in zip([in_units, *units[:-1]], units, strict=True):
            layers += [nn.Linear(d_in, d_out), nn.ReLU(), nn.Identity()]  # Identity: eval-mode Dropout(0.5)
        if out_units:
            layers.append(nn.Linear(units[-1], out_units))
        self.fcs = nn.ModuleList(layers)

    def linears(self) -> list[nn.Linear]:
        return [m for m in self.fcs if isinstance(m, nn.Linear)]


class FeedForwardNet(nn.Module):
    def __init__(self, d_in: int, d_hid: int, d_out: int):
        super().__init__()
        self.w_1 = nn.Conv1d(d_in, d_hid, 1)
        self.w_2 = nn.Conv1d(d_hid, d_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [1, C, T]
        return self.w_2(F.relu(self.w_1(x)))


class MemoryBlockV2(nn.Module):
    """Depthwise FIR over time plus its input; ``shift`` moves the window into the past."""

    def __init__(self, d: int, filter_size: int, shift: int):
        super().__init__()
        left, right = round((filter_size - 1) / 2), int((filter_size - 1) / 2)  # as KAN-TTS (even sizes)
        if shift > 0:
            left, right = left + shift, right - shift
        if right < 0:
            raise ModelError(f"FSMN shift {shift} is larger than half the filter size {filter_size}")
        self.pad = (left, right)
        self.conv_dw = nn.Conv1d(d, d, filter_size, groups=d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [1, C, T]
        return self.conv_dw(F.pad(x, self.pad)) + x


class FsmnEncoderV2(nn.Module):
    def __init__(self, filter_size: int, n_layers: int, d_in: int, d_mem: int, d_ffn: int, shift):
        super().__init__()
        shifts = list(shift) if isinstance(shift, list) else [shift] * n_layers
        if len(shifts) != n_layers:
            raise ModelError(f"FSMN shift list {shift} does not have {n_layers} entries")
        self.ffn_lst = nn.ModuleList(
            [FeedForwardNet(d_in if i == 0 else d_mem, d_ffn, d_mem) for i in range(n_layers)]
        )
        self.memory_block_lst = nn.ModuleList([MemoryBlockV2(d_mem, filter_size, s) for s in shifts])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [T, d_in] -> [T, d_mem]
        x = x.t().unsqueeze(0)
        for ffn, memory_block in zip(self.ffn_lst, self.memory_block_lst, strict=True):
            m = memory_block(ffn(x))
            x = m + x if m.size(1) == x.size(1) else m
        return x[0].t()


class VarFsmnRnnNARPredictor(nn.Module):
    """Pitch/energy predictor: FSMN -> BLSTM -> FC, one value per phone."""

    def __init__(self, d_in, filter_size, n_layers, d_mem, d_ffn, shift, lstm_units):
        super().__init__()
        self.fsmn = FsmnEncoderV2(filter_size, n_layers, d_in, d_mem, d_ffn, shift)
        self.blstm = nn.LSTM(d_mem, lstm_units, num_layers=1, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * lstm_units, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [N, d_in] -> [N]
        y, _ = self.blstm(self.fsmn(x).unsqueeze(0))
        return self.fc(y[0]).squeeze(-1)


class VarRnnARPredictor(nn.Module):
    """Duration predictor: a 2-layer LSTM over phones fed back its previous output log(1+d) through a prenet."""

    def __init__(self, cond_units: int, prenet_units: list[int], rnn_units: int):
        super().__init__()
        self.prenet = Prenet(1, prenet_units)
        self.lstm = nn.LSTM(prenet_units[-1] + cond_units, rnn_units, num_layers=2, batch_first=True)
        self.fc = nn.Linear(rnn_units, 1)

    def infer(self, cond: torch.Tensor) -> torch.Tensor:  # [N, cond] -> log(1+d) [N]
        lstm, linears = self.lstm, self.prenet.linears()
        n_pre = linears[-1].out_features
        # The conditioning's share of the layer-0 input projection is the same whatever is fed back: project all
        # phones at once and pass row i as that step's input bias.
        w_ih0 = lstm.weight_ih_l0
        bias_steps = F.linear(cond, w_ih0[:, n_pre:], lstm.bias_ih_l0)
        cells = [
            [w_ih0[:, :n_pre], lstm.weight_hh_l0, None, lstm.bias_hh_l0],
            *([getattr(lstm, f"{n}_l{i}") for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
              for i in range(1, lstm.num_layers)),
        ]  # fmt: skip
        state = [[cond.new_zeros(1, lstm.hidden_size)] * 2 for _ in cells]
        out = cond.new_empty(cond.size(0))
        x = cond.new_zeros(1, 1)  # go frame
        for i in range(cond.size(0)):
            for lin in linears:
                x = F.relu(lin(x))
            cells[0][2] = bias_steps[i]
            for j, (w_ih, w_hh, b_ih, b_hh) in enumerate(cells):
                state[j] = torch.lstm_cell(x, state[j], w_ih, w_hh, b_ih, b_hh)
                x = state[j][0]
            x = F.relu(self.fc(x))
            out[i] = x[0, 0]
        return out


class DurSinusoidalPositionEncoder(nn.Module):
    """Position-in-phone encoding of each frame; the saved ``inv_timescales`` are divisors (KAN-TTS naming)."""

    def __init__(self, depth: int):
        super().__init__()
        scales = [np.power(10000, 2 * (i // 2) / depth) for i in range(depth)]
        self.register_buffer("inv_timescales", torch.tensor(scales, dtype=torch.float32))

    def forward(self, dur_pos: torch.Tensor) -> torch.Tensor:  # float [T] (padding = 0) -> [T, depth]
        pe = dur_pos[:, None] / self.inv_timescales[None, :]
        pe[:, 0::2] = torch.sin(pe[:, 0::2])
        pe[:, 1::2] = torch.cos(pe[:, 1::2])
        return pe


class VarianceAdaptor(nn.Module):
    def __init__(self, p: dict):
        super().__init__()
        d_in = p["encoder_projection_units"] + p["emotion_units"] + p["speaker_units"]
        nar = (
            d_in, p["predictor_filter_size"], p["predictor_fsmn_num_layers"], p["predictor_num_memory_units"],
            p["predictor_ffn_inner_dim"], p["predictor_shift"], p["predictor_lstm_units"],
        )  # fmt: skip
        self.pitch_predictor = VarFsmnRnnNARPredictor(*nar)
        self.energy_predictor = VarFsmnRnnNARPredictor(*nar)
        self.duration_predictor = VarRnnARPredictor(
            d_in, p["dur_pred_prenet_units"], p["dur_pred_lstm_units"]
        )
        self.dur_position_encoder = DurSinusoidalPositionEncoder(p["encoder_projection_units"])
        self.pitch_emb = nn.Conv1d(1, p["encoder_projection_units"], kernel_size=9, padding=4)
        self.energy_emb = nn.Conv1d(1, p["encoder_projection_units"], kernel_size=9, padding=4)


# ------------------------------------------------------------------------------------------------ decoder


class MultiHeadPNCAAttention(nn.Module):
    """PNCA attention parameters: self attention over past decoder steps (x) and attention to the memory (h)."""

    def __init__(self, n_head: int, d_model: int, d_mem: int, d_head: int):
        super().__init__()
        self.n_head, self.d_head = n_head, d_head
        self.layer_norm = nn.LayerNorm(d_model, eps=LN_EPS)
        self.w_x_qkv = nn.Linear(d_model, 3 * n_head * d_head)
        self.fc_x = nn.Linear(n_head * d_head, d_model)
        self.w_h_kv = nn.Linear(d_mem, 2 * n_head * d_head)
        self.fc_h = nn.Linear(n_head * d_head, d_model)


class PNCABlock(nn.Module):
    def __init__(self, d_model: int, d_mem: int, n_head: int, d_inner: int):
        super().__init__()
        self.pnca_attn = MultiHeadPNCAAttention(n_head, d_model, d_mem, d_model // n_head)
        self.pos_ffn = PositionwiseConvFeedForward(d_model, d_inner, (1, 1))


class HybridAttentionDecoder(nn.Module):
    """PNCA decoder: prenet on the fed-back frame, then blocks of X (past steps) + H (memory) attention and FFN.

    :meth:`decode` runs it autoregressively. Decoding step by step reads every weight once per step of 1-row
    products, so on CPU its cost is memory bandwidth (about 17 MB per step for the real model). ``decode`` therefore
    first solves the recursion as a fixed point (Jacobi iteration): guess every step's input frame, run all steps at
    once as in training (teacher forcing), feed the outputs back, repeat. The steps whose inputs stop moving are
    final: step ``t`` only depends on inputs ``<= t``, so each pass finalizes at least one more step, and when the
    recursion contracts, a handful of passes settle everything (5 for the random-weight fixture and real-size
    models). If it converges too slowly, the remaining steps are decoded one at a time from the last settled one. Both ways give KAN-TTS's
    step-by-step result to float rounding (a settled input moved less than ``jacobi_tol`` in its last pass).
    """

    # 0 = always step by step. A pass over all steps cost 1/10-1/20 of a step-by-step run on the machines measured.
    jacobi_max_passes = 12
    # relative to max(1, |frame|): well above float noise (~1e-6), far below the parity tolerance (1e-4)
    jacobi_tol = 1e-5

    def __init__(self, d_in, prenet_units, n_layer, d_model, d_mem, n_head, d_inner, d_out):
        super().__init__()
        self.d_model = d_model
        self.prenet = Prenet(d_in, prenet_units, d_model)
        self.dec_in_proj = nn.Linear(d_model + d_mem, d_model)
        self.pnca = nn.ModuleList([PNCABlock(d_model, d_mem, n_head, d_inner) for _ in range(n_layer)])
        self.ln = nn.LayerNorm(d_model, eps=LN_EPS)
        self.dec_out_proj = nn.Linear(d_model, d_out)

    def decode(
        self, memory: torch.Tensor, band: int, d_feedback: int, *, parallel: bool = True
    ) -> torch.Tensor:
        """Autoregressive decoding over the S memory steps: [S, d_mem] -> [S, d_out].

        Step t is fed the last ``d_feedback`` outputs of step t-1 (zeros at t=0); its X attention covers decoder
        steps ``[t-band, t]``, its H attention memory steps ``[t, t+band]``. ``parallel=False`` skips the
        fixed-point passes (pure step-by-step decoding).
        """
        plan = _DecodePlan(self, memory, band)
        n_steps = memory.size(0)
        out = memory.new_empty(n_steps, self.dec_out_proj.out_features)
        start = self._fixed_point(plan, out, d_feedback) if parallel else 0
        frame = out[start - 1 : start, -d_feedback:] if start else memory.new_zeros(1, plan.d_in)
        for t in range(start, n_steps):
            plan.run(frame, t, t + 1, out[t : t + 1])
            frame = out[t : t + 1, -d_feedback:]
        return out

    def _fixed_point(self, plan: _DecodePlan, out: torch.Tensor, d_feedback: int) -> int:
        """Jacobi passes over the unsettled steps (:func:`~sambert_lambda.engine.fixedpoint.settle`); returns how
        many leading steps of ``out`` are final."""
        frames = out.new_zeros(out.size(0), plan.d_in)  # every step's input; step 0's (the go frame) is exact
        return settle(plan.run, frames, out, d_feedback, max_passes=self.jacobi_max_passes, tol=self.jacobi_tol,
                      to_numpy=lambda t: t.numpy())  # fmt: skip


class _DecodePlan:
    """One decode's prepared state: weights pre-transposed, memory-side projections, key/value buffers, masks.

    Per layer one buffer ``[S + band, 5 * d_att]``: columns ``[q | x_k | x_v]`` of decoder step s at row s + band
    (written by :meth:`run`), ``[h_k | h_v]`` of memory step s at row s (all layers projected here at once).
    Rows t .. t+band then hold both the X band and the H band of step t; rows without a step stay zero and are
    masked, and only those band rows are attended (the reference masks full-length attention to the same band).
    """

    def __init__(self, dec: HybridAttentionDecoder, memory: torch.Tensor, band: int):
        n_steps, d_mem = memory.shape
        att0 = dec.pnca[0].pnca_attn
        n_head, d_head = att0.n_head, att0.d_head
        d_att, n_layer, rows, w = n_head * d_head, len(dec.pnca), n_steps + band, band + 1
        self.band, self.scale, self.inv_temp = band, dec.d_model**0.5, d_head**-0.5

        buf = memory.new_zeros(n_layer, rows, 5 * d_att)
        w_h = torch.cat([b.pnca_attn.w_h_kv.weight for b in dec.pnca])
        b_h = torch.cat([b.pnca_attn.w_h_kv.bias for b in dec.pnca])
        h_kv = torch.addmm(b_h, memory, w_h.t()).view(n_steps, n_layer, -1)
        buf[:, :n_steps, 3 * d_att :] = h_kv.transpose(0, 1)
        slot = (
            torch.arange(n_steps)[:, None] + torch.arange(w)[None, :]
        )  # buffer row of band slot j of step t
        self.mask = memory.new_zeros(n_steps, 2, 1, w)  # [step, x|h, 1, slot]
        self.mask[:, 0, 0].masked_fill_(slot < band, -math.inf)  # before step 0
        self.mask[:, 1, 0].masked_fill_(slot >= n_steps, -math.inf)  # past the last memory step

        w_in = dec.dec_in_proj.weight
        self.mem_in = torch.addmm(dec.dec_in_proj.bias, memory, w_in[:, :d_mem].t())
        self.w_in_x = w_in[:, d_mem:].t().contiguous()
        self.prenet = [(m.weight.t().contiguous(), m.bias) for m in dec.prenet.linears()]
        self.d_in = self.prenet[0][0].size(0)
        self.layers = []
        for i, block in enumerate(dec.pnca):
            att, ffn = block.pnca_attn, block.pos_ffn
            kv = buf[i, :, d_att:].view(rows, 2, 2, n_head, d_head).unfold(0, w, 1)  # [S, x|h, k|v, H, dh, w]
            self.layers.append((
                buf[i, :, : 3 * d_att], buf[i, :, :d_att].view(rows, 1, n_head, d_head, 1), kv[:, :, 0], kv[:, :, 1],
                att.layer_norm, att.w_x_qkv.weight.t().contiguous(), att.w_x_qkv.bias,
                torch.cat([att.fc_x.weight, att.fc_h.weight], dim=1).t().contiguous(), att.fc_x.bias + att.fc_h.bias,
                ffn.layer_norm, ffn.w_1.weight[:, :, 0].t().contiguous(), ffn.w_1.bias,
                ffn.w_2.weight[:, :, 0].t().contiguous(), ffn.w_2.bias,
            ))  # fmt: skip
        self.ln = dec.ln
        self.w_out, self.b_out = dec.dec_out_proj.weight.t().contiguous(), dec.dec_out_proj.bias

    def run(self, frames: torch.Tensor, lo: int, hi: int, out: torch.Tensor) -> None:
        """Decoder steps lo..hi-1 at once from their input frames [hi-lo, d_in] (teacher forcing) into ``out``.

        Needs the X keys/values of steps lo-band..lo-1 from earlier calls; writes those of lo..hi-1.
        """
        y = frames
        for j, (w, b) in enumerate(self.prenet):
            y = torch.addmm(b, y, w)
            if j < len(self.prenet) - 1:
                y = torch.relu_(y)
        x = torch.addmm(self.mem_in[lo:hi], y, self.w_in_x).mul_(self.scale)
        mask, rows = self.mask[lo:hi], slice(lo + self.band, hi + self.band)
        for qkv, q, k_band, v_band, ln1, w_qkv, b_qkv, w_fc, b_fc, ln2, w_1, b_1, w_2, b_2 in self.layers:
            torch.addmm(b_qkv, _layer_norm(x, ln1), w_qkv, out=qkv[rows])
            score = torch.add(mask, (k_band[lo:hi] * q[rows]).sum(3), alpha=self.inv_temp)  # [n, x|h, H, w]
            o = (v_band[lo:hi] * torch.softmax(score, -1).unsqueeze(3)).sum(-1)  # [n, x|h, H, dh]
            x = torch.addmm(b_fc, o.view(hi - lo, -1), w_fc).add_(x)
            h = torch.relu_(torch.addmm(b_1, _layer_norm(x, ln2), w_1))
            x = torch.addmm(b_2, h, w_2).add_(x)
        torch.addmm(self.b_out, _layer_norm(x, self.ln), self.w_out, out=out)


class MelPNCADecoder(nn.Module):
    def __init__(self, p: dict):
        super().__init__()
        r, d_mel = p["outputs_per_step"], p["num_mels"]
        d_mem = p["encoder_projection_units"] * r + p["emotion_units"] + p["speaker_units"]
        self.mel_dec = HybridAttentionDecoder(
            d_mel, p["decoder_prenet_units"], p["decoder_num_layers"], p["decoder_num_units"], d_mem,
            p["decoder_num_heads"], p["decoder_ffn_inner_dim"], d_mel * r,
        )  # fmt: skip


class PostNet(nn.Module):
    def __init__(self, p: dict):
        super().__init__()
        self.fsmn = FsmnEncoderV2(
            p["postnet_filter_size"], p["postnet_fsmn_num_layers"], p["num_mels"], p["postnet_num_memory_units"],
            p["postnet_ffn_inner_dim"], p["postnet_shift"],
        )  # fmt: skip
        self.lstm = nn.LSTM(
            p["postnet_num_memory_units"], p["postnet_lstm_units"], num_layers=1, batch_first=True
        )
        self.fc = nn.Linear(p["postnet_lstm_units"], p["num_mels"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [T, mel] -> residual [T, mel]
        y, _ = self.lstm(self.fsmn(x).unsqueeze(0))
        return self.fc(y[0])


# ---------------------------------------------------------------------------------------------------- model


@dataclass
class AMOutput:
    """Acoustic-model result for one line (N phones, EOS excluded). All values are CPU torch tensors.

    log_dur      float32 [N]   duration predictor output log(1+d)
    dur_rounded  int64 [N]     frames per phone (after the speed control)
    n_frames     int           number of mel frames (= dur_rounded.sum())
    x_band_width int           PNCA band width (also the H band width)
    text_hid     float32 [N, encoder_projection_units]
    pitch        float32 [N]   pitch used (prediction + the pitch control shift)
    energy       float32 [N]   energy used (prediction + the energy control shift)
    lr_text      float32 [T_pad, encoder_projection_units]   T_pad = n_frames rounded up to outputs_per_step
    memory       float32 [T_pad / r, r * proj + speaker_units + emotion_units]
    dec_out      float32 [T_pad, num_mels]   decoder output, rows >= n_frames zeroed
    mel          float32 [n_frames, num_mels]   postnet output: the vocoder input (transpose it to [1, mels, T])

    When every phone rounds to 0 frames, n_frames is 0 and the frame-axis tensors are empty.
    """

    log_dur: torch.Tensor
    dur_rounded: torch.Tensor
    n_frames: int
    x_band_width: int
    text_hid: torch.Tensor
    pitch: torch.Tensor
    energy: torch.Tensor
    lr_text: torch.Tensor
    memory: torch.Tensor
    dec_out: torch.Tensor
    mel: torch.Tensor


class SambertAcousticModel(nn.Module):
    """KAN-TTS ``KanTtsSAMBERT`` for inference. ``params`` = ``am_config['Model']['KanTtsSAMBERT']['params']``,
    ``unit_sizes`` = :attr:`LinguisticUnits.sizes`. ``state_dict()`` keys and shapes equal KAN-TTS's."""

    def __init__(self, params: dict, unit_sizes: dict[str, int]):
        super().__init__()
        p = _check_params(params, unit_sizes)
        self.params = p
        self.r = p["outputs_per_step"]
        self.num_mels = p["num_mels"]
        self.text_encoder = TextFftEncoder(p)
        self.spk_tokenizer = nn.Embedding(p["speaker"], p["speaker_units"])
        self.emo_tokenizer = nn.Embedding(p["emotion"], p["emotion_units"])
        self.variance_adaptor = VarianceAdaptor(p)
        self.mel_decoder = MelPNCADecoder(p)
        self.mel_postnet = PostNet(p)
        self.eval()

    # -- inputs

    def _ids(self, ids: dict) -> dict[str, torch.Tensor]:
        out = {}
        for name in STREAMS:
            if name not in ids:
                raise InvalidInput(f"id stream {name!r} missing")
            a = ids[name] if isinstance(ids[name], torch.Tensor) else torch.tensor(np.asarray(ids[name]))
            if a.dim() != 1 or a.dtype.is_floating_point or a.dtype == torch.bool:
                raise InvalidInput(f"id stream {name!r} must be a 1-D integer array")
            out[name] = a.long()
        lengths = {a.numel() for a in out.values()}
        if len(lengths) != 1:
            raise InvalidInput(f"id streams differ in length: { {k: v.numel() for k, v in out.items()} }")
        if lengths.pop() < 2:
            raise InvalidInput("no phones: the id streams hold only the EOS")
        for name, a in out.items():
            size = self.params[name]
            if int(a.min()) < 0 or int(a.max()) >= size:
                raise InvalidInput(f"id stream {name!r} has ids outside [0, {size})")
            out[name] = a[:-1]  # drop the trailing EOS, as ModelScope's am_forward does
        return out

    def _emotion_embedding(self, emo: torch.Tensor, intensity) -> torch.Tensor:
        """Per-token emotion embeddings, each blended with emotion_neutral's as ``n + k (e - n)``, k in [0, 2].

        Tokens marked emotion_none (pauses) keep their own embedding, so k = 0 gives exactly the line with every
        emotion replaced by emotion_neutral, and k has no effect on a neutral line.
        """
        table = self.emo_tokenizer.weight
        e = table[emo]
        if intensity is None:
            return e
        k = torch.as_tensor(np.asarray(intensity, dtype=np.float32)).reshape(-1)
        if k.numel() == 1:
            k = k.expand(emo.numel())
        elif k.numel() == emo.numel() + 1:
            k = k[:-1]  # given per id, EOS included
        if k.numel() != emo.numel():
            raise InvalidInput(f"emotion_intensity has {k.numel()} values for {emo.numel()} phones")
        if not bool(torch.all((k >= 0) & (k <= 2))):
            raise InvalidInput("emotion_intensity must lie in [0, 2]")
        blend = (k != 1) & (emo != EMOTION_NONE_ID) & (emo < len(EMOTION_TYPES))
        if not bool(blend.any()):
            return e
        neutral = table[EMOTION_NEUTRAL_ID]
        mixed = neutral + k[:, None] * (e - neutral)
        return torch.where(blend[:, None], mixed, e)

    # -- inference

    @torch.inference_mode()
    def infer(self, ids: dict, controls: Controls | None = None, emotion_intensity=None) -> AMOutput:
        """Run the model on one encoded line (:meth:`LinguisticUnits.encode` output, EOS included).

        ``controls``: speed divides the predicted durations before rounding (the duration predictor's own
        feedback stays unscaled); pitch/energy are added to the predictions before their embeddings;
        ``controls.emotion_intensity`` is used unless the per-token ``emotion_intensity`` array ([N] or [N+1])
        is given. Default controls reproduce KAN-TTS exactly.
        """
        c = controls or Controls()
        speed, pitch_shift, energy_shift = float(c.speed), float(c.pitch), float(c.energy)
        if not (math.isfinite(speed) and speed > 0):
            raise InvalidInput(f"speed must be a positive number, got {c.speed!r}")
        if not (math.isfinite(pitch_shift) and math.isfinite(energy_shift)):
            raise InvalidInput("pitch and energy shifts must be finite")
        if emotion_intensity is None and c.emotion_intensity != 1:
            emotion_intensity = c.emotion_intensity
        x = self._ids(ids)
        va = self.variance_adaptor
        r, d_mel = self.r, self.num_mels

        text_hid = self.text_encoder(x["sy"], x["tone"], x["syllable_flag"], x["word_segment"])
        spk = self.spk_tokenizer(x["speaker"])
        emo = self._emotion_embedding(x["emotion"], emotion_intensity)

        cond = torch.cat([text_hid, spk, emo], dim=-1)
        pitch = va.pitch_predictor(cond)
        energy = va.energy_predictor(cond)
        if pitch_shift:
            pitch = pitch + pitch_shift
        if energy_shift:
            energy = energy + energy_shift
        pitch_emb = va.pitch_emb(pitch[None, None])[0].t()
        energy_emb = va.energy_emb(energy[None, None])[0].t()
        text_aug = text_hid + pitch_emb + energy_emb

        log_dur = va.duration_predictor.infer(torch.cat([text_aug, spk, emo], dim=-1))
        dur = torch.exp(log_dur) - 1
        if speed != 1:
            dur = dur / speed
        dur_rounded = (dur + 0.5).long()
        band = int(dur.max() / r + 0.5)
        n_frames = int(dur_rounded.sum())
        n_pad = -(-n_frames // r) * r
        n_phones = dur_rounded.numel()

        # length regulation: frame -> phone index; position-in-phone from 1 (padding frames: position 0)
        phone_of_frame = torch.repeat_interleave(torch.arange(n_phones), dur_rounded)
        starts = torch.cumsum(dur_rounded, 0) - dur_rounded
        dur_pos = torch.zeros(n_pad)
        dur_pos[:n_frames] = (torch.arange(n_frames) - starts[phone_of_frame] + 1).float()
        lr_text = text_aug.new_zeros(n_pad, text_aug.size(1))
        lr_text[:n_frames] = text_aug[phone_of_frame]
        lr_text = lr_text + va.dur_position_encoder(dur_pos)

        first = phone_of_frame[::r]  # phone of the first frame of each r-frame group
        memory = torch.cat([lr_text.view(n_pad // r, r * lr_text.size(1)), spk[first], emo[first]], dim=-1)

        if n_frames:
            dec = self.mel_decoder.mel_dec.decode(memory, band, d_mel).view(n_pad, d_mel)
            dec[n_frames:] = 0
            mel = self.mel_postnet(dec[:n_frames]) + dec[:n_frames]
        else:
            dec = memory.new_zeros(0, d_mel)
            mel = memory.new_zeros(0, d_mel)
        return AMOutput(
            log_dur=log_dur, dur_rounded=dur_rounded, n_frames=n_frames, x_band_width=band, text_hid=text_hid,
            pitch=pitch, energy=energy, lr_text=lr_text, memory=memory, dec_out=dec, mel=mel,
        )  # fmt: skip
