"""Export a loaded Sambert acoustic model for :class:`~sambert_lambda.engine.onnx.acoustic.OnnxAcousticModel` (bake time).

Writes two ONNX graphs (non-autoregressive parts, dynamic length axis), the weights of the two autoregressive loops
(duration predictor, PNCA decoder) as an npz, and a small JSON of structural numbers.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from sambert_lambda.engine.onnx.acoustic import (
    AM_FORMAT,
    ENCODER_FILE,
    LOOPS_FILE,
    META_FILE,
    POSTNET_FILE,
    save_loop_weights,
)
from sambert_lambda.engine.units import EMOTION_NEUTRAL_ID, EMOTION_NONE_ID, EMOTION_TYPES

OPSET = 17


class _EncoderGraph(nn.Module):
    def __init__(self, am):
        super().__init__()
        self.am = am

    def forward(self, sy, tone, syllable_flag, ws, speaker, emo, pitch_shift, energy_shift):
        am, va = self.am, self.am.variance_adaptor
        text_hid = am.text_encoder(sy, tone, syllable_flag, ws)
        spk = am.spk_tokenizer(speaker)
        cond = torch.cat([text_hid, spk, emo], dim=-1)
        pitch = va.pitch_predictor(cond) + pitch_shift
        energy = va.energy_predictor(cond) + energy_shift
        text_aug = (
            text_hid + va.pitch_emb(pitch[None, None])[0].t() + va.energy_emb(energy[None, None])[0].t()
        )
        return text_hid, spk, pitch, energy, text_aug


class _PostnetGraph(nn.Module):
    def __init__(self, am):
        super().__init__()
        self.postnet = am.mel_postnet

    def forward(self, dec):
        return self.postnet(dec)


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().to(torch.float32).contiguous().numpy().copy()


def loop_weights(am) -> tuple[dict[str, np.ndarray], dict]:
    """The raw weights the numpy loops need, and the structural numbers."""
    va = am.variance_adaptor
    dp = va.duration_predictor
    w: dict[str, np.ndarray] = {
        "emo_table": _np(am.emo_tokenizer.weight),
        "dur_pos_inv_timescales": _np(va.dur_position_encoder.inv_timescales),
        "dur_fc_w": _np(dp.fc.weight),
        "dur_fc_b": _np(dp.fc.bias),
    }
    dur_prenet = dp.prenet.linears()
    for j, lin in enumerate(dur_prenet):
        w[f"dur_prenet_w{j}"], w[f"dur_prenet_b{j}"] = _np(lin.weight), _np(lin.bias)
    for i in range(dp.lstm.num_layers):
        for n in ("w_ih", "w_hh", "b_ih", "b_hh"):
            attr = {"w_ih": "weight_ih", "w_hh": "weight_hh", "b_ih": "bias_ih", "b_hh": "bias_hh"}[n]
            w[f"dur_{n}_{i}"] = _np(getattr(dp.lstm, f"{attr}_l{i}"))
    dec = am.mel_decoder.mel_dec
    w["dec_w_h"] = _np(torch.cat([b.pnca_attn.w_h_kv.weight for b in dec.pnca]))
    w["dec_b_h"] = _np(torch.cat([b.pnca_attn.w_h_kv.bias for b in dec.pnca]))
    w["dec_in_w"], w["dec_in_b"] = _np(dec.dec_in_proj.weight), _np(dec.dec_in_proj.bias)
    dec_prenet = dec.prenet.linears()
    for j, lin in enumerate(dec_prenet):
        w[f"dec_prenet_w{j}"], w[f"dec_prenet_b{j}"] = _np(lin.weight), _np(lin.bias)
    for i, block in enumerate(dec.pnca):
        att, ffn = block.pnca_attn, block.pos_ffn
        w[f"dec{i}_ln1_w"], w[f"dec{i}_ln1_b"] = _np(att.layer_norm.weight), _np(att.layer_norm.bias)
        # the per-step matrices are stored [in, out] ("_wt"): the loop multiplies row vectors by them
        w[f"dec{i}_qkv_wt"], w[f"dec{i}_qkv_b"] = _np(att.w_x_qkv.weight.T), _np(att.w_x_qkv.bias)
        w[f"dec{i}_fc_wt"] = _np(torch.cat([att.fc_x.weight, att.fc_h.weight], dim=1).T)
        w[f"dec{i}_fc_b"] = _np(att.fc_x.bias + att.fc_h.bias)
        w[f"dec{i}_ln2_w"], w[f"dec{i}_ln2_b"] = _np(ffn.layer_norm.weight), _np(ffn.layer_norm.bias)
        w[f"dec{i}_w1t"], w[f"dec{i}_b1"] = _np(ffn.w_1.weight[:, :, 0].T), _np(ffn.w_1.bias)
        w[f"dec{i}_w2t"], w[f"dec{i}_b2"] = _np(ffn.w_2.weight[:, :, 0].T), _np(ffn.w_2.bias)
    w["dec_ln_w"], w["dec_ln_b"] = _np(dec.ln.weight), _np(dec.ln.bias)
    w["dec_out_wt"], w["dec_out_b"] = _np(dec.dec_out_proj.weight.T), _np(dec.dec_out_proj.bias)
    first = dec.pnca[0].pnca_attn
    meta = {
        "outputs_per_step": am.r,
        "num_mels": am.num_mels,
        "unit_sizes": {
            k: int(am.params[k])
            for k in ("sy", "tone", "syllable_flag", "word_segment", "emotion", "speaker")
        },
        "emotion_neutral_id": EMOTION_NEUTRAL_ID,
        "emotion_none_id": EMOTION_NONE_ID,
        "n_emotion_types": len(EMOTION_TYPES),
        "ln_eps": dec.ln.eps,
        "n_head": first.n_head,
        "d_head": first.d_head,
        "decoder_layers": len(dec.pnca),
        "decoder_prenet_layers": len(dec_prenet),
        "duration_lstm_layers": dp.lstm.num_layers,
        "duration_prenet_layers": len(dur_prenet),
        # the encoder graph adds a fixed table of this many positions (the torch engine extends it by formula)
        "max_positions": int(am.text_encoder.ling_enc.position_enc.position_enc.shape[1]),
    }
    return w, meta


def export_acoustic(am, out_dir: str | Path) -> Path:
    """Write ``am_encoder.onnx``, ``am_postnet.onnx``, ``am_loops.bin`` and ``am.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n = 7
    ids = torch.zeros(n, dtype=torch.long)
    emo = torch.zeros(n, am.emo_tokenizer.embedding_dim)
    shift = torch.zeros(1)
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _EncoderGraph(am).eval(),
            (ids, ids, ids, ids, ids, emo, shift, shift),
            str(out / ENCODER_FILE),
            input_names=["sy", "tone", "syllable_flag", "ws", "speaker", "emo", "pitch_shift", "energy_shift"],
            output_names=["text_hid", "spk", "pitch", "energy", "text_aug"],
            dynamic_axes={k: {0: "phones"} for k in ("sy", "tone", "syllable_flag", "ws", "speaker", "emo",
                                                      "text_hid", "spk", "pitch", "energy", "text_aug")},
            opset_version=OPSET,
            dynamo=False,
        )  # fmt: skip
        torch.onnx.export(
            _PostnetGraph(am).eval(),
            (torch.zeros(23, am.num_mels),),
            str(out / POSTNET_FILE),
            input_names=["dec"],
            output_names=["residual"],
            dynamic_axes={"dec": {0: "frames"}, "residual": {0: "frames"}},
            opset_version=OPSET,
            dynamo=False,
        )
    weights, meta = loop_weights(am)
    meta["format"] = AM_FORMAT
    meta["loops"] = save_loop_weights(out / LOOPS_FILE, weights)
    (out / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return out
