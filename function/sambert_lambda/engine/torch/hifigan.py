"""Inference-only HiFiGAN generator, state-dict compatible with KAN-TTS ``kantts.models.hifigan.Generator``.

Structure (per upsample stage i, rate grows by ``upsample_scales[i]``)::

    x = conv_pre(mel)
    for each stage:  x = sin(x) + x
                     x = repeat(x) + transposed(x)[..., :len(repeat)]    repeat = nearest-up -> act -> conv(k)
                     x = mean(resblock_k(x) for k in resblock_kernel_sizes)
    wav = tanh(conv_post(leaky_relu(x, 0.01)))

Causal generators left-pad every conv by ``(k-1)*d`` and keep the first ``L*s`` samples of a transposed conv;
non-causal ones pad ``d*(k-1)/2`` on both sides and use ``padding=(k-s)//2`` on the transposed conv.

Checkpoints store old-style weight norm (``*.weight_g`` / ``*.weight_v``). :meth:`HifiGanGenerator.load_generator_state`
folds them into plain weights (``w = v * g / ||v||``, norm over every dim except 0) exactly as the reference's
``remove_weight_norm`` does before inference, so the module itself holds plain ``Conv1d`` weights only.

Two forward paths compute the same function:

- :meth:`HifiGanGenerator.forward` (inference) keeps activations as ``[B, C, 1, T]`` in channels-last memory
  (time-major, ``[T, C]`` per batch item) and runs every conv as a ``1 x k`` 2-D conv. oneDNN's channels-last
  kernels reach the CPU's matmul rate on these shapes, about 1.5-2x the plain ``conv1d`` layout. The activation
  before a conv writes straight into the conv's zero-padded input buffer, so no pad copy is made.
- :meth:`HifiGanGenerator.forward_reference` is the plain ``conv1d`` transcription of the reference graph. ONNX
  export traces it, and tests compare the two paths.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sambert_lambda.engine.chunking import join, stream_plan, window_plan
from sambert_lambda.errors import ModelError

log = logging.getLogger(__name__)

# Parameter-free activations the reference could build with getattr(torch.nn, name)(**params).
_KNOWN_OPTIONS = {
    "in_channels",
    "out_channels",
    "channels",
    "kernel_size",
    "upsample_scales",
    "upsample_kernal_sizes",
    "resblock_kernel_sizes",
    "resblock_dilations",
    "repeat_upsample",
    "bias",
    "causal",
    "nonlinear_activation",
    "nonlinear_activation_params",
    "use_weight_norm",
    "nsf_params",
}
# Frames per streamed chunk (causal generators): 1.6 s of audio at 16 kHz / hop 200. Big enough that per-chunk
# overhead is ~1%, small enough that the zero-padded tail wastes little on short requests.
STREAM_CHUNK_FRAMES = 128
FINAL_LEAKY_SLOPE = 0.01  # the reference calls F.leaky_relu(x) with its default slope, not the config's


class _Conv(nn.Module):
    """KAN-TTS ``Conv1d`` / ``CausalConv1d`` wrapper: parameters live under ``.conv1d``."""

    def __init__(self, cin: int, cout: int, k: int, dilation: int, causal: bool):
        super().__init__()
        self.causal = causal
        span = (k - 1) * dilation
        self.left = span if causal else span // 2
        self.right = 0 if causal else span // 2
        self.conv1d = nn.Conv1d(cin, cout, k, 1, padding=0, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1d(F.pad(x, (self.left, self.right)))

    def forward_cl(
        self, x: torch.Tensor, act: nn.Module | None = None, state: dict | None = None
    ) -> torch.Tensor:
        """``conv(pad(act(x)))`` on channels-last ``[B, C, 1, T]``; ``act`` is written into the padded buffer.

        With ``state`` (causal only) the left padding is the previous chunk's last ``left`` activated input samples
        (zeros on the first chunk, which is exactly the one-shot zero padding), and is updated for the next chunk.
        """
        b, c, _, t = x.shape
        buf = torch.empty((b, c, 1, self.left + t + self.right), dtype=x.dtype, memory_format=_CL)
        if self.left:
            prev = None if state is None else state.get(self)
            if prev is None:
                buf[..., : self.left].zero_()
            else:
                buf[..., : self.left].copy_(prev)
        if self.right:
            buf[..., self.left + t :].zero_()
        _act_into(act, x, buf[..., self.left : self.left + t])
        if state is not None and self.left:
            state[self] = buf[..., t:].clone(memory_format=_CL)  # the last `left` samples
        conv = self.conv1d
        return F.conv2d(buf, _kernel_cl(conv), conv.bias, dilation=(1, conv.dilation[0]))


class _ConvT(nn.Module):
    """KAN-TTS ``ConvTranspose1d`` / ``CausalConvTranspose1d`` wrapper: parameters live under ``.deconv``."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, causal: bool):
        super().__init__()
        self.causal = causal
        self.stride = stride
        self.pad = 0 if causal else (k - stride) // 2
        self.deconv = nn.ConvTranspose1d(cin, cout, k, stride, padding=self.pad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.deconv(x)
        if self.causal:
            y = y[..., : x.shape[-1] * self.stride]  # reference: drop the last k - s samples
        return y

    def history(self) -> int:
        """Input frames before a chunk that reach its outputs (causal): ``ceil((k - 1) / stride)``."""
        return -(-(self.deconv.kernel_size[0] - 1) // self.stride)

    def forward_cl(self, x: torch.Tensor, state: dict | None = None) -> torch.Tensor:
        d = self.deconv
        h = self.history() if state is not None else 0
        if h:
            prev = state.get(self)
            if prev is None:
                prev = x.new_zeros((*x.shape[:3], h)).contiguous(memory_format=_CL)
            x = torch.cat((prev, x), dim=3)
            state[self] = x[..., -h:].clone(memory_format=_CL)
        y = F.conv_transpose2d(x, _kernel_cl(d), d.bias, stride=(1, self.stride), padding=(0, self.pad))
        if self.causal:
            y = y[..., h * self.stride : x.shape[-1] * self.stride]
        return y


class _ResBlock(nn.Module):
    def __init__(self, channels: int, k: int, dilations: Sequence[int], act: nn.Module, causal: bool):
        super().__init__()
        self.convs1 = nn.ModuleList(_Conv(channels, channels, k, d, causal) for d in dilations)
        self.convs2 = nn.ModuleList(_Conv(channels, channels, k, 1, causal) for _ in dilations)
        self.activation = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            x = c2(self.activation(c1(self.activation(x)))) + x
        return x

    def forward_cl(self, x: torch.Tensor, state: dict | None = None) -> torch.Tensor:
        act = self.activation
        for c1, c2 in zip(self.convs1, self.convs2, strict=True):
            x = c2.forward_cl(c1.forward_cl(x, act, state), act, state).add_(x)
        return x


_CL = torch.channels_last


def _kernel_cl(conv: nn.Module) -> torch.Tensor:
    """The conv's weight as a channels-last ``[out, in, 1, k]`` kernel, cached until the weight changes.

    The cache is keyed on the weight's storage and version counter, so ``load_state_dict``, ``.to(dtype)`` and
    in-place edits all invalidate it.
    """
    w = conv.weight
    key = (w.data_ptr(), w._version, w.dtype)
    cached = getattr(conv, "_kernel_cl", None)
    if cached is None or cached[0] != key:
        cached = (key, w.detach().unsqueeze(2).contiguous(memory_format=_CL))
        conv._kernel_cl = cached
    return cached[1]


_FINAL_ACT = nn.LeakyReLU(FINAL_LEAKY_SLOPE)


def _act_into(act: nn.Module | None, x: torch.Tensor, out: torch.Tensor) -> None:
    if act is None:
        out.copy_(x)
    elif isinstance(act, nn.LeakyReLU):
        torch.ops.aten.leaky_relu.out(x, act.negative_slope, out=out)
    else:
        out.copy_(act(x))


def _activation(name: object, params: object) -> nn.Module:
    """``torch.nn.<name>(**params)``, as the reference builds it: any module class of ``torch.nn``."""
    cls = getattr(nn, name, None) if isinstance(name, str) and not name.startswith("_") else None
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ModelError(f"vocoder option nonlinear_activation={name!r} is not a torch.nn module")
    if not isinstance(params, Mapping):
        raise ModelError(f"vocoder option nonlinear_activation_params must be a mapping, got {params!r}")
    try:
        return cls(**params)
    except TypeError as e:
        raise ModelError(
            f"vocoder option nonlinear_activation_params={dict(params)!r} invalid for {name}: {e}"
        ) from None


def _int_list(name: str, value: object) -> list[int]:
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or not all(isinstance(v, int) for v in value)
    ):
        raise ModelError(f"vocoder option {name} must be a list of integers, got {value!r}")
    return [int(v) for v in value]


class HifiGanGenerator(nn.Module):
    """The KAN-TTS HiFiGAN generator for inference. Build from ``voc_config['Model']['Generator']['params']``."""

    def __init__(
        self,
        in_channels: int = 80,
        out_channels: int = 1,
        channels: int = 512,
        kernel_size: int = 7,
        upsample_scales: Sequence[int] = (8, 8, 2, 2),
        upsample_kernal_sizes: Sequence[int] = (16, 16, 4, 4),
        resblock_kernel_sizes: Sequence[int] = (3, 7, 11),
        resblock_dilations: Sequence[Sequence[int]] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
        repeat_upsample: bool = True,
        bias: bool = True,
        causal: bool = True,
        nonlinear_activation: str = "LeakyReLU",
        nonlinear_activation_params: Mapping | None = None,
        use_weight_norm: bool = True,
        nsf_params: Mapping | None = None,
        **unknown,
    ):
        super().__init__()
        if unknown:
            raise ModelError(f"unsupported vocoder generator option(s): {', '.join(sorted(unknown))}")
        if nsf_params is not None:
            raise ModelError(
                "vocoder option nsf_params (NSF source module) is not supported by the native engine"
            )
        if not repeat_upsample:
            # The reference's forward always calls repeat_upsamples[i]; without it the model cannot run.
            raise ModelError(
                "vocoder option repeat_upsample=false is not supported (the reference cannot run it)"
            )
        if not isinstance(causal, bool):
            raise ModelError(f"vocoder option causal must be true or false, got {causal!r}")
        scales = _int_list("upsample_scales", upsample_scales)
        kernels = _int_list("upsample_kernal_sizes", upsample_kernal_sizes)
        rb_kernels = _int_list("resblock_kernel_sizes", resblock_kernel_sizes)
        if not isinstance(resblock_dilations, Sequence):
            raise ModelError(
                f"vocoder option resblock_dilations must be a list of lists, got {resblock_dilations!r}"
            )
        rb_dilations = [_int_list("resblock_dilations", d) for d in resblock_dilations]
        if len(scales) != len(kernels) or not scales:
            raise ModelError(
                "vocoder options upsample_scales and upsample_kernal_sizes must be non-empty, same length"
            )
        if len(rb_kernels) != len(rb_dilations) or not rb_kernels:
            raise ModelError(
                "vocoder options resblock_kernel_sizes and resblock_dilations must be non-empty, same length"
            )
        if kernel_size % 2 != 1 or any(k % 2 != 1 for k in rb_kernels):
            raise ModelError("vocoder options kernel_size and resblock_kernel_sizes must be odd")
        # The reference's own limits: a negative transposed-conv padding (kernel < scale) is refused by torch, and
        # its causal transposed conv keeps ``[:-(k - s)]`` of the output, nothing at all when k == s. Channels go
        # down by floor division (``channels // 2**i``) whatever they are, as in the reference.
        if any(k < s or (causal and k == s) for k, s in zip(kernels, scales, strict=True)):
            raise ModelError(
                "vocoder option upsample_kernal_sizes: every kernel must be >= its upsample scale, and > it in a "
                "causal generator (the reference's causal transposed conv yields no samples when they are equal)"
            )
        params = (
            {"negative_slope": 0.1} if nonlinear_activation_params is None else nonlinear_activation_params
        )
        _activation(nonlinear_activation, params)  # fail early, naming the option

        def act() -> nn.Module:  # one instance per use, as the reference builds them (parametric ones differ)
            return _activation(nonlinear_activation, params)

        self.params = {
            "in_channels": in_channels, "out_channels": out_channels, "channels": channels,
            "kernel_size": kernel_size, "upsample_scales": scales, "upsample_kernal_sizes": kernels,
            "resblock_kernel_sizes": rb_kernels, "resblock_dilations": rb_dilations, "causal": causal,
            "nonlinear_activation": nonlinear_activation, "nonlinear_activation_params": dict(params),
        }  # fmt: skip
        # `bias` and `use_weight_norm` are accepted but, as in the reference, every conv has a bias and the
        # checkpoint may be in weight-norm form or plain form: load_generator_state handles both.
        self.causal = causal
        self.in_channels = in_channels
        self.upsample_scales = scales
        self.hop_size = math.prod(scales)
        self.num_kernels = len(rb_kernels)

        self.conv_pre = _Conv(in_channels, channels, kernel_size, 1, causal)
        self.transpose_upsamples = nn.ModuleList()
        self.repeat_upsamples = nn.ModuleList()
        self.conv_blocks = nn.ModuleList()
        for i, (s, k) in enumerate(zip(scales, kernels, strict=True)):
            cin, cout = channels // 2**i, channels // 2 ** (i + 1)
            self.transpose_upsamples.append(nn.Sequential(act(), _ConvT(cin, cout, k, s, causal)))
            self.repeat_upsamples.append(
                nn.Sequential(
                    nn.Upsample(scale_factor=s, mode="nearest"), act(), _Conv(cin, cout, kernel_size, 1, causal)
                )
            )
            for rk, rd in zip(rb_kernels, rb_dilations, strict=True):
                self.conv_blocks.append(_ResBlock(cout, rk, rd, act(), causal))
        self.conv_post = _Conv(channels // 2 ** len(scales), out_channels, kernel_size, 1, causal)
        self.eval()
        self.requires_grad_(False)

    # ------------------------------------------------------------------ numerics
    def forward(self, mel: torch.Tensor, state: dict | None = None) -> torch.Tensor:
        """mel ``[B, in_channels, T]`` -> wav ``[B, out_channels, T * hop_size]`` (channels-last fast path).

        ``state`` (causal generators only): a dict carried from one chunk of mel to the next, holding each conv's
        input history, so consecutive chunks give exactly the one-shot output (see :meth:`vocode`).
        """
        if torch.jit.is_tracing() or torch.onnx.is_in_onnx_export():
            return self.forward_reference(mel)
        if state is not None and not self.causal:
            raise ModelError("streaming vocoder state needs a causal generator")
        x = self.conv_pre.forward_cl(mel.unsqueeze(2).contiguous(memory_format=_CL), None, state)
        for i, s in enumerate(self.upsample_scales):
            x = torch.sin(x).add_(x)
            _, act, conv = self.repeat_upsamples[i]  # nearest upsampling by an integer = repeat each sample
            rep = conv.forward_cl(x.repeat_interleave(s, dim=3), act, state)
            act_t, deconv = self.transpose_upsamples[i]
            up = deconv.forward_cl(act_t(x), state)
            x = rep.add_(up[..., : rep.shape[-1]])
            blocks = self.conv_blocks[i * self.num_kernels : (i + 1) * self.num_kernels]
            xs = blocks[0].forward_cl(x, state)
            for block in blocks[1:]:
                xs.add_(block.forward_cl(x, state))
            x = xs.div_(self.num_kernels)
        x = self.conv_post.forward_cl(x, _FINAL_ACT, state)
        return torch.tanh(x).squeeze(2).contiguous()

    def forward_reference(self, mel: torch.Tensor) -> torch.Tensor:
        """The same function as :meth:`forward`, in the reference's ``conv1d`` layout."""
        x = self.conv_pre(mel)
        for i in range(len(self.upsample_scales)):
            x = torch.sin(x) + x
            rep = self.repeat_upsamples[i](x)
            up = self.transpose_upsamples[i](x)
            x = rep + up[:, :, : rep.shape[-1]]
            xs = self.conv_blocks[i * self.num_kernels](x)
            for j in range(1, self.num_kernels):
                xs += self.conv_blocks[i * self.num_kernels + j](x)
            x = xs / self.num_kernels
        x = F.leaky_relu(x, FINAL_LEAKY_SLOPE)
        return torch.tanh(self.conv_post(x))

    # ------------------------------------------------------------------ streaming graph (ONNX export)
    def upsample_polyphase(self, i: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Stage ``i``'s two upsampling branches as one conv at the input rate: ``(weight, bias, taps)``.

        Both branches read ``a = act(x)``: the repeat branch is ``conv_k(repeat(a, s))`` (nearest upsampling
        commutes with the element-wise activation) and the other is the causal transposed conv of ``a``. Output
        sample ``t * s + p`` of their sum depends on ``a[t - m]`` for ``m = 0 .. taps - 1`` only, so the sum is a
        ``1 x taps`` conv over ``a`` with ``s * C_out`` output channels (channel ``c * s + p`` holds phase ``p``)
        followed by an interleave of the phases into time. This is the same function (the weights of the taps
        that read the same input sample are added), with ``taps * s`` instead of ``k * s + K`` multiply-adds per
        input frame and output channel, and without materializing the repeated input.
        """
        s = self.upsample_scales[i]
        rep = self.repeat_upsamples[i][2].conv1d  # [C_out, C_in, k], causal: left = k - 1
        tr = self.transpose_upsamples[i][1].deconv  # [C_in, C_out, K]
        k, big_k = rep.kernel_size[0], tr.kernel_size[0]
        key = tuple((w.data_ptr(), w._version) for w in (rep.weight, rep.bias, tr.weight, tr.bias))
        cache = self.__dict__.setdefault("_polyphase", {})
        if i in cache and cache[i][0] == key:
            return cache[i][1]
        taps = max(-(-(k - 1) // s), (big_k - 1) // s) + 1
        cout, cin = rep.weight.shape[0], rep.weight.shape[1]
        w = torch.zeros(cout, s, cin, taps, dtype=torch.float64)
        w_rep, w_tr = rep.weight.detach().double(), tr.weight.detach().double()
        for p in range(s):
            for j in range(k):  # repeat branch: tap j reads repeated sample t*s + p - (k-1) + j
                m = -((p - (k - 1) + j) // s)
                w[:, p, :, taps - 1 - m] += w_rep[:, :, j]
            for m in range(taps):  # transposed branch: a[t - m] reaches phase p through kernel index p + m*s
                if p + m * s < big_k:
                    w[:, p, :, taps - 1 - m] += w_tr[:, :, p + m * s].t()
        weight = w.reshape(cout * s, cin, 1, taps).to(rep.weight.dtype).contiguous()
        bias = (rep.bias.detach() + tr.bias.detach()).repeat_interleave(s).contiguous()
        cache[i] = (key, (weight, bias, taps))
        return weight, bias, taps

    def stream_state_shapes(self) -> list[tuple[int, int]]:
        """(channels, samples) of every carried history, in the order :meth:`forward_stream` takes and returns them.

        One per conv with a left context (``(k - 1) * d`` input samples), and one per upsampling stage (its
        polyphase conv's ``taps - 1`` input frames). Causal generators only.
        """
        if not self.causal:
            raise ModelError("a streaming vocoder graph needs a causal generator")
        shapes: list[tuple[int, int]] = []

        def conv(c: _Conv) -> None:
            if c.left:
                shapes.append((c.conv1d.in_channels, c.left))

        conv(self.conv_pre)
        for i in range(len(self.upsample_scales)):
            _, _, taps = self.upsample_polyphase(i)
            if taps > 1:
                shapes.append((self.repeat_upsamples[i][2].conv1d.in_channels, taps - 1))
            for block in self.conv_blocks[i * self.num_kernels : (i + 1) * self.num_kernels]:
                for c1, c2 in zip(block.convs1, block.convs2, strict=True):
                    conv(c1)
                    conv(c2)
        conv(self.conv_post)
        return shapes

    def forward_stream(
        self, mel: torch.Tensor, states: Sequence[torch.Tensor]
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """One chunk of a causal generator as a pure function: ``(mel, histories) -> (wav, next histories)``.

        The graph the ONNX vocoder runs. Activations are ``[1, C, 1, T]`` and every conv is a ``1 x k`` 2-D conv
        (ONNX Runtime's blocked-layout kernels take 4-D convs only). Each conv reads ``concat(history, input)``
        without padding; the history is the previous chunk's last input samples (zeros before the first chunk,
        which is the one-shot zero padding). Histories are ``[1, C, 1, L]`` as :meth:`stream_state_shapes` lists.
        Each upsampling stage is one polyphase conv (:meth:`upsample_polyphase`).
        """
        pending = list(states)
        out: list[torch.Tensor] = []

        def history(x: torch.Tensor, left: int) -> torch.Tensor:
            if not left:
                return x
            x = torch.cat([pending.pop(0), x], dim=3)
            out.append(x[..., -left:])
            return x

        def conv(c: _Conv, x: torch.Tensor, act: nn.Module | None) -> torch.Tensor:
            if act is not None:
                x = act(x)
            w = c.conv1d
            return F.conv2d(history(x, c.left), w.weight.unsqueeze(2), w.bias, dilation=(1, w.dilation[0]))

        x = conv(self.conv_pre, mel.unsqueeze(2), None)
        for i, s in enumerate(self.upsample_scales):
            weight, bias, taps = self.upsample_polyphase(i)
            a = self.repeat_upsamples[i][1](torch.sin(x) + x)
            y = F.conv2d(history(a, taps - 1), weight, bias)  # [1, C_out * s, 1, T], channel c * s + p
            t = y.shape[-1]
            x = y.reshape(1, -1, s, t).transpose(2, 3).reshape(1, -1, 1, t * s)
            xs = None
            for block in self.conv_blocks[i * self.num_kernels : (i + 1) * self.num_kernels]:
                y = x
                for c1, c2 in zip(block.convs1, block.convs2, strict=True):
                    y = conv(c2, conv(c1, y, block.activation), block.activation) + y
                xs = y if xs is None else xs + y
            x = xs / self.num_kernels
        wav = torch.tanh(conv(self.conv_post, x, _FINAL_ACT)).squeeze(2)
        if pending:
            raise ModelError(f"forward_stream got {len(pending)} more state tensor(s) than the generator has")
        return wav, out

    def context_frames(self) -> tuple[int, int]:
        """Upper bound of the mel frames (left, right) that one output sample depends on (receptive field).

        Computed layer by layer in units of mel frames; each stage's convs act at ``rate`` samples per frame.
        """
        p = self.params
        left = right = 0.0

        def conv(k: int, d: int, rate: int) -> None:
            nonlocal left, right
            span = (k - 1) * d
            if self.causal:
                left += span / rate
            else:
                left += (span // 2) / rate
                right += (span // 2) / rate

        rate = 1
        conv(p["kernel_size"], 1, rate)
        for s, k in zip(p["upsample_scales"], p["upsample_kernal_sizes"], strict=True):
            pad = 0 if self.causal else (k - s) // 2
            # transposed conv: output t <- inputs j with j*s <= t+pad <= j*s+k-1 (input rate = `rate`)
            t_left, t_right = (k - 1 - pad) / s + 1, pad / s + 1
            # repeat branch: nearest upsampling (+1 sample either side) then a conv at the new rate
            k_rep = p["kernel_size"]
            span = k_rep - 1
            r_left = (span if self.causal else span // 2) / (rate * s) + 1
            r_right = (0 if self.causal else span // 2) / (rate * s) + 1
            left += max(t_left, r_left) / rate
            right += max(t_right, r_right) / rate
            rate *= s
            rb_left = rb_right = 0.0
            for rk, rd in zip(p["resblock_kernel_sizes"], p["resblock_dilations"], strict=True):
                spans = [(rk - 1) * d for d in rd] + [(rk - 1)] * len(rd)
                lf = sum(sp if self.causal else sp // 2 for sp in spans)
                rt = 0 if self.causal else sum(sp // 2 for sp in spans)
                rb_left, rb_right = max(rb_left, lf), max(rb_right, rt)
            left += rb_left / rate
            right += rb_right / rate
        conv(p["kernel_size"], 1, rate)
        return math.ceil(left) + 1, math.ceil(right) + 1

    def _mel_batch(self, mel: torch.Tensor | np.ndarray) -> torch.Tensor:
        """mel ``[T, in_channels]`` (or ``[1, in_channels, T]``) -> ``[1, in_channels, T]`` in the weights' dtype."""
        m = torch.as_tensor(mel, dtype=torch.float32)
        if m.dim() == 2:
            if m.shape[1] != self.in_channels:
                raise ModelError(f"vocoder expects mel [T, {self.in_channels}], got {tuple(m.shape)}")
            m = m.t().unsqueeze(0)
        if m.dim() != 3 or m.shape[0] != 1 or m.shape[1] != self.in_channels:
            raise ModelError(f"vocoder expects mel [1, {self.in_channels}, T], got {tuple(m.shape)}")
        return m.to(self.conv_pre.conv1d.weight.dtype)

    def vocode(self, mel: torch.Tensor | np.ndarray, chunk_frames: int | None = None) -> np.ndarray:
        """mel ``[T, in_channels]`` (or ``[1, in_channels, T]``) -> float32 wav ``[T * hop_size]``: :meth:`pieces`
        joined, so buffered and streamed callers get the same samples."""
        m = self._mel_batch(mel)
        return join(self.pieces(m, chunk_frames), m.shape[-1] * self.hop_size)

    def pieces(self, mel: torch.Tensor | np.ndarray, chunk_frames: int | None = None) -> Iterator[np.ndarray]:
        """The waveform of ``mel`` piece by piece, in order (the plans of :mod:`sambert_lambda.engine.chunking`).

        ``chunk_frames`` bounds the frames run at once (memory). Causal generators always stream (:meth:`stream`) in
        chunks of ``min(chunk_frames, STREAM_CHUNK_FRAMES)``. Non-causal generators run in one shot, or with
        ``chunk_frames`` in windows extended by the receptive field on both sides (:meth:`context_frames`), equal to
        the one-shot output up to float noise while peak memory stays bounded.
        """
        m = self._mel_batch(mel)
        if self.causal:
            yield from self.stream(m, STREAM_CHUNK_FRAMES if not chunk_frames else min(int(chunk_frames), STREAM_CHUNK_FRAMES))
            return
        yield from self._windows(m, chunk_frames)

    @torch.inference_mode()
    def _windows(self, m: torch.Tensor, chunk_frames: int | None) -> Iterator[np.ndarray]:
        left, right = self.context_frames() if chunk_frames and chunk_frames < m.shape[-1] else (0, 0)
        hop = self.hop_size
        for start, end, a, b in window_plan(m.shape[-1], chunk_frames, left, right):
            y = self(m[:, :, a:b]).reshape(-1).float()
            yield y[(start - a) * hop : (end - a) * hop].numpy()

    @torch.inference_mode()
    def stream(self, mel: torch.Tensor | np.ndarray, chunk_frames: int | None = None) -> Iterator[np.ndarray]:
        """Causal generators: yield the waveform piece by piece (:func:`~sambert_lambda.engine.chunking.stream_plan`),
        exactly equal to the one-shot output.

        Each conv keeps its last input samples as the next piece's left padding, so no receptive-field overlap is
        recomputed. Only three input lengths ever run (``chunk_frames``, half and a quarter of it: the coarse grain
        of the plan). Fixed shapes matter on CPU: oneDNN builds and caches kernels per input shape. With free
        lengths every request pays to build them (measured: 25-30% more CPU) and the cache grows to over 1 GB of
        RSS; each further length costs about 17 MB.
        """
        if not self.causal:
            raise ModelError("streaming vocoding needs a causal generator")
        m = self._mel_batch(mel)
        chunk = STREAM_CHUNK_FRAMES if chunk_frames is None else int(chunk_frames)
        hop, state = self.hop_size, {}
        for start, size, take in stream_plan(m.shape[-1], chunk):
            piece = m[:, :, start : start + size]
            if piece.shape[-1] < size:
                piece = F.pad(piece, (0, size - piece.shape[-1]))
            yield self(piece, state).reshape(-1)[: take * hop].float().numpy()

    # ------------------------------------------------------------------ loading
    def load_generator_state(self, state_dict: Mapping[str, torch.Tensor]) -> list[str]:
        """Load a KAN-TTS generator state dict (weight-norm or plain form). Returns the ignored (unexpected) keys.

        Missing keys and shape mismatches raise ModelError naming them; unexpected keys are logged and ignored.
        Weight norm is folded into plain weights (the reference's ``remove_weight_norm``).
        """
        state = dict(state_dict)
        folded: dict[str, torch.Tensor] = {}
        used: set[str] = set()
        missing: list[str] = []
        mismatched: list[str] = []
        for name, param in self.state_dict().items():
            if name in state:
                tensor = state[name]
                used.add(name)
            elif name.endswith(".weight") and f"{name}_g" in state and f"{name}_v" in state:
                g, v = state[f"{name}_g"], state[f"{name}_v"]
                used.update((f"{name}_g", f"{name}_v"))
                expected_g = (param.shape[0],) + (1,) * (param.dim() - 1)
                if tuple(v.shape) != tuple(param.shape) or tuple(g.shape) != expected_g:
                    mismatched.append(
                        f"{name}_v/_g: checkpoint {tuple(v.shape)}/{tuple(g.shape)}, model {tuple(param.shape)}"
                    )
                    continue
                tensor = fold_weight_norm(g, v)
            else:
                missing.append(name)
                continue
            if tuple(tensor.shape) != tuple(param.shape):
                mismatched.append(f"{name}: checkpoint {tuple(tensor.shape)}, model {tuple(param.shape)}")
                continue
            folded[name] = tensor.to(torch.float32)
        if missing:
            raise ModelError(f"vocoder checkpoint is missing {len(missing)} key(s): {', '.join(missing[:8])}")
        if mismatched:
            raise ModelError(f"vocoder checkpoint shape mismatch: {'; '.join(mismatched[:8])}")
        unexpected = sorted(set(state) - used)
        if unexpected:
            log.warning(
                "vocoder checkpoint: ignoring %d unexpected key(s): %s", len(unexpected), unexpected[:8]
            )
        self.load_state_dict(folded, strict=True)
        self.eval()
        return unexpected


def fold_weight_norm(g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """``w = v * (g / ||v||)`` with the norm over every dim except 0 (torch's ``_weight_norm`` with dim=0)."""
    v = v.to(torch.float32)
    norm = v.reshape(v.shape[0], -1).norm(dim=1).reshape((v.shape[0],) + (1,) * (v.dim() - 1))
    return v * (g.to(torch.float32) / norm)


def generator_from_config(voc_config: Mapping) -> HifiGanGenerator:
    """Build the generator from a whole vocoder config (``voc/config.yaml``)."""
    try:
        params = voc_config["Model"]["Generator"]["params"]
    except (KeyError, TypeError):
        raise ModelError("vocoder config has no Model.Generator.params section") from None
    if not isinstance(params, Mapping):
        raise ModelError("vocoder config Model.Generator.params must be a mapping")
    return HifiGanGenerator(**params)
