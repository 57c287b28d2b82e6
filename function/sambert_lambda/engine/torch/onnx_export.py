"""Export a voice's HiFiGAN generator to ONNX (dynamic frame axis), for the optional ONNX Runtime vocoder.

Run at bake time (needs torch); the runtime side (:mod:`sambert_lambda.engine.onnx.vocoder`) needs only onnxruntime
and numpy. The receptive field and hop size are stored in the model's metadata so chunked vocoding works without
the torch module. :func:`export_voice_onnx` also exports the acoustic model (see :mod:`engine.torch.onnx_am_export`).
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

from sambert_lambda.errors import ModelError

log = logging.getLogger(__name__)

OPSET = 17
VOCODER_FILE = "voc.onnx"
# the plain streaming graph's weights; each blocked-layout copy has its own (engine.onnx.vocoder.weights_file)
WEIGHTS_FILE = "voc.weights"
META_KEY = "sambert_lambda"
# 2: causal generators export the streaming graph; 3: + its blocked-layout copies (engine.torch.onnx_nchwc); 4: the
# copies store their filters reordered, in weights files of their own. Files of another format are exported again.
GRAPH_FORMAT = 4


def export_vocoder(generator, path: str | Path, example_frames: int = 64) -> Path:
    """Write ``generator`` (a loaded :class:`HifiGanGenerator`) as ONNX.

    - Causal generators: the streaming graph (:meth:`HifiGanGenerator.forward_stream`): inputs ``mel`` [1, C, T]
      and ``state0..N`` (each conv's carried history), outputs ``wav`` [1, 1, T * hop] and ``next0..N``. The
      runtime feeds it fixed-size chunks only (``stream.chunk_frames`` in the metadata, half and a quarter of it).
    - Non-causal generators: the one-shot graph (``mel`` -> ``wav``, dynamic frame axis); the runtime extends
      chunks by the receptive field.
    """
    import onnx
    import torch

    from sambert_lambda.engine.torch.hifigan import STREAM_CHUNK_FRAMES

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.onnx")
    left, right = generator.context_frames()
    meta = {
        "kind": "hifigan_generator",
        "format": GRAPH_FORMAT,
        "in_channels": generator.in_channels,
        "hop_size": generator.hop_size,
        "context_left": left,
        "context_right": right,
        "causal": generator.causal,
    }
    if generator.causal:
        shapes = generator.stream_state_shapes()
        meta["stream"] = {"chunk_frames": STREAM_CHUNK_FRAMES, "states": [list(s) for s in shapes]}
        module = _streaming_graph(generator)
        mel = torch.zeros(1, generator.in_channels, STREAM_CHUNK_FRAMES)
        args = (mel, *(torch.zeros(1, c, 1, n) for c, n in shapes))
        inputs = ["mel"] + [f"state{i}" for i in range(len(shapes))]
        outputs = ["wav"] + [f"next{i}" for i in range(len(shapes))]
    else:
        module, args = generator, (torch.zeros(1, generator.in_channels, example_frames),)
        inputs, outputs = ["mel"], ["wav"]
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter(
            "ignore"
        )  # tracer notes on constant folding of Slice; the graph is checked by tests
        torch.onnx.export(
            module,
            args,
            str(tmp),
            input_names=inputs,
            output_names=outputs,
            dynamic_axes={"mel": {2: "frames"}, "wav": {2: "samples"}},
            opset_version=OPSET,
            dynamo=False,
        )
    model = onnx.load(str(tmp))
    _constants_to_initializers(model)
    if generator.causal:
        # the carried histories have fixed shapes: declare them (the tracer leaves them symbolic)
        declared = {f"next{i}": (1, c, 1, n) for i, (c, n) in enumerate(shapes)}
        for value in model.graph.output:
            if value.name in declared:
                for dim, size in zip(value.type.tensor_type.shape.dim, declared[value.name], strict=True):
                    dim.Clear()
                    dim.dim_value = size
    entry = model.metadata_props.add()
    entry.key, entry.value = META_KEY, json.dumps(meta)
    tmp.unlink(missing_ok=True)
    if not generator.causal:
        onnx.save(model, str(path))
        return path
    _save_streaming(model, path)
    return path


def _save_streaming(model, path: Path) -> None:
    """The plain streaming graph as ``path`` with its weights in :data:`WEIGHTS_FILE` beside it, its
    blocked-layout copies for each block size (:mod:`engine.torch.onnx_nchwc`), each with its weights file, and
    the probe that tells the runtime which block size the CPU uses. The plain graph is written last, so a run
    stopped half-way leaves no up-to-date ``path`` behind."""
    import onnx

    from sambert_lambda.engine.onnx.vocoder import PROBE_FILE, blocked_file, weights_file
    from sambert_lambda.engine.torch.hifigan import STREAM_CHUNK_FRAMES
    from sambert_lambda.engine.torch.onnx_nchwc import BLOCKS, blocked_graph, probe_graph

    folder = path.parent
    path.unlink(missing_ok=True)
    for block in BLOCKS:
        variant = blocked_graph(model, block, STREAM_CHUNK_FRAMES, META_KEY)
        target = folder / blocked_file(block)
        if variant is None:
            target.unlink(missing_ok=True)
            (folder / weights_file(target.name)).unlink(missing_ok=True)
        else:
            _save_with_weights(variant, target, weights_file(target.name))
    onnx.save_model(probe_graph(), str(folder / PROBE_FILE))
    staged = folder / f".{path.name}.tmp"
    _save_with_weights(model, staged, WEIGHTS_FILE)
    staged.replace(path)


def _save_with_weights(model, path: Path, weights: str) -> None:
    """``model`` as ``path``, its tensors above 1 kB in the file ``weights`` beside it (a graph file over 2 GB is
    not possible, and the graph loads without copying them through protobuf)."""
    import onnx

    (path.parent / weights).unlink(missing_ok=True)  # onnx appends to an existing file
    onnx.save_model(
        model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location=weights,
        size_threshold=1024,
    )  # fmt: skip
    # onnx writes the weights file for its owner only; the function may run as another user (Lambda does)
    (path.parent / weights).chmod(0o644)


def _constants_to_initializers(model) -> None:
    """Tensor ``Constant`` nodes become initializers: the traced polyphase weights are constants, and tools such
    as ONNX Runtime's quantizer look for conv weights among the initializers."""
    keep = []
    for node in model.graph.node:
        attr = node.attribute[0] if node.op_type == "Constant" and len(node.attribute) == 1 else None
        if attr is not None and attr.name == "value" and len(attr.t.dims) > 1:
            tensor = model.graph.initializer.add()
            tensor.CopyFrom(attr.t)
            tensor.name = node.output[0]
        else:
            keep.append(node)
    del model.graph.node[:]
    model.graph.node.extend(keep)


def _streaming_graph(generator):
    """``generator.forward_stream`` as a module with flat tensor inputs and outputs (what the exporter traces)."""
    from torch import nn

    class StreamingGraph(nn.Module):
        def __init__(self):
            super().__init__()
            self.generator = generator

        def forward(self, mel, *states):
            wav, nxt = self.generator.forward_stream(mel, states)
            return (wav, *nxt)

    return StreamingGraph().eval()


def export_voice(voice_dir: str | Path, out_dir: str | Path, force: bool = False) -> Path:
    """Export one voice's vocoder to ``out_dir/voc.onnx`` (skipped when it is newer than the checkpoint)."""
    from sambert_lambda.engine.modeldir import read_yaml
    from sambert_lambda.engine.torch.hifigan import generator_from_config
    from sambert_lambda.engine.torch.voice import (
        load_checkpoint,
        pick_checkpoint,
        strip_ddp_prefix,
    )

    voice_dir, out_dir = Path(voice_dir), Path(out_dir)
    ckpt = pick_checkpoint(voice_dir / "voc" / "ckpt")
    target = out_dir / VOCODER_FILE
    if (
        not force
        and target.is_file()
        and target.stat().st_mtime >= ckpt.stat().st_mtime
        and _graph_format(target) == GRAPH_FORMAT
    ):
        return out_dir
    gen = generator_from_config(read_yaml(voice_dir / "voc" / "config.yaml"))
    state = load_checkpoint(ckpt)["model"].get("generator")
    if state is None:
        raise ModelError(f"vocoder checkpoint {ckpt} has no ['model']['generator'] state dict")
    gen.load_generator_state(strip_ddp_prefix(state))
    export_vocoder(gen, target)
    log.info("exported %s -> %s", ckpt, target)
    return out_dir


def _graph_format(path: Path) -> int | None:
    import onnx

    try:
        props = {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
        return int(json.loads(props[META_KEY]).get("format", 1))
    except Exception:  # noqa: BLE001 - unreadable or foreign file: export again
        return None


def export_voice_onnx(voice_dir: str | Path, out_dir: str | Path, force: bool = False) -> Path:
    """Everything :class:`~sambert_lambda.engine.onnx.voice.OnnxVoice` needs: vocoder + acoustic model files."""
    from sambert_lambda.engine.onnx.acoustic import AM_FORMAT, META_FILE
    from sambert_lambda.engine.torch.voice import VoiceModel

    voice_dir, out_dir = Path(voice_dir), Path(out_dir)
    export_voice(voice_dir, out_dir, force=force)
    ckpt = pick_am_checkpoint(voice_dir)
    meta = out_dir / META_FILE
    if (
        force
        or not meta.is_file()
        or meta.stat().st_mtime < ckpt.stat().st_mtime
        or _am_format(meta) != AM_FORMAT
    ):
        from sambert_lambda.engine.torch.onnx_am_export import export_acoustic

        export_acoustic(VoiceModel.load(voice_dir, voice_dir.name).am, out_dir)
        log.info("exported %s -> %s", ckpt, out_dir)
    return out_dir


def _am_format(meta: Path) -> int | None:
    try:
        return int(json.loads(meta.read_text(encoding="utf-8")).get("format", 1))
    except (OSError, ValueError, TypeError):
        return None


def pick_am_checkpoint(voice_dir: Path) -> Path:
    from sambert_lambda.engine.torch.voice import pick_checkpoint

    return pick_checkpoint(Path(voice_dir) / "am" / "ckpt")


# ---------------------------------------------------------------------- CLI: sambert-lambda export-onnx
def add_arguments(parser) -> None:
    parser.add_argument("model_dir", type=Path, help="ModelScope model directory (voices/voices.json inside)")
    parser.add_argument("out", type=Path, help="output root: one sub-directory per voice")
    parser.add_argument("--voices", default=None, help="comma-separated voice names (default: all)")
    parser.add_argument("--force", action="store_true", help="re-export even when the files are up to date")


def run(args) -> int:
    voices_file = Path(args.model_dir) / "voices" / "voices.json"
    try:
        names = json.loads(voices_file.read_text(encoding="utf-8"))["voices"]
    except (OSError, ValueError, KeyError) as e:
        raise ModelError(f"cannot read {voices_file}: {e}") from None
    if args.voices:
        wanted = [v.strip() for v in args.voices.split(",") if v.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise ModelError(f"voice(s) {', '.join(unknown)} not in {voices_file}")
        names = [n for n in names if n in wanted]
    for name in names:
        out = export_voice_onnx(
            Path(args.model_dir) / "voices" / name, Path(args.out) / name, force=args.force
        )
        print(f"exported {name} -> {out}")
    return 0
