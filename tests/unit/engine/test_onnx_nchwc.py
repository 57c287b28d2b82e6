"""The blocked-layout copies of the streaming vocoder graph: written at export beside the plain graph, picked at load
by the CPU's block size, and the same function as the plain graph, for every block size the export writes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

import onnxruntime as ort  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from sambert_lambda.engine.onnx.vocoder import (  # noqa: E402
    PROBE_FILE,
    OnnxVocoder,
    blocked_file,
    nchwc_block,
    session_options,
    weights_file,
)
from sambert_lambda.engine.torch.hifigan import HifiGanGenerator  # noqa: E402
from sambert_lambda.engine.torch.onnx_export import WEIGHTS_FILE, export_vocoder, export_voice  # noqa: E402
from sambert_lambda.engine.torch.onnx_nchwc import BLOCKS, DOMAIN  # noqa: E402
from sambert_lambda.errors import ModelError  # noqa: E402
from tests.support.paths import GOLDEN_DIR  # noqa: E402

VOICES = GOLDEN_DIR / "MODEL" / "voices"
# channels that divide by 8 and 16 at every stage, by neither, and a parametric activation (a plain PRelu node)
GENERATORS = {
    "blocked-throughout": {"channels": 64, "upsample_scales": [4, 2], "upsample_kernal_sizes": [8, 4]},
    "floor-channels": {"channels": 100, "upsample_scales": [5, 2, 2], "upsample_kernal_sizes": [10, 4, 4]},
    "prelu": {"channels": 48, "upsample_scales": [4, 4], "upsample_kernal_sizes": [8, 8],
              "nonlinear_activation": "PReLU", "nonlinear_activation_params": {}},
}  # fmt: skip


def _generator(name: str, seed: int = 5) -> HifiGanGenerator:
    torch.manual_seed(seed)
    gen = HifiGanGenerator(
        in_channels=80, kernel_size=5, resblock_kernel_sizes=[3, 5], resblock_dilations=[[1, 2], [1, 3]],
        causal=True, **GENERATORS[name],
    )  # fmt: skip
    with torch.no_grad():
        for p in gen.parameters():
            p.mul_(1.5)
    return gen


def _mel(seed: int, frames: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((frames, 80)) * 1.5).astype(np.float32)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return {
        name: export_vocoder(_generator(name), tmp_path_factory.mktemp(name) / "voc.onnx")
        for name in GENERATORS
    }


def test_export_writes_the_plain_graph_its_blocked_copies_and_the_probe(tmp_path):
    causal = export_voice(VOICES / "zhitian_emo", tmp_path / "causal")
    names = {p.name for p in causal.iterdir()}
    copies = {blocked_file(b) for b in BLOCKS}
    assert names == {"voc.onnx", WEIGHTS_FILE, PROBE_FILE} | copies | {weights_file(c) for c in copies}
    weights = (causal / WEIGHTS_FILE).stat().st_size
    for f in causal.iterdir():  # readable by the user the function runs as, which need not be the exporter
        assert f.stat().st_mode & 0o444 == 0o444, f.name
    for b in BLOCKS:
        model = onnx.load(str(causal / blocked_file(b)), load_external_data=False)
        meta = json.loads({p.key: p.value for p in model.metadata_props}["sambert_lambda"])
        assert meta["nchwc_block"] == b and meta["causal"] is True
        assert any(n.domain == DOMAIN and n.op_type == "Conv" for n in model.graph.node)
        # the copy stores its filters already reordered, in a weights file of its own: nothing left to fold at
        # load, and no plain filter kept that no node reads
        external = [t for t in model.graph.initializer if t.data_location == TensorProto.EXTERNAL]
        assert external and {e.value for t in external for e in t.external_data if e.key == "location"} == {
            weights_file(blocked_file(b))
        }
        folds = {"Reshape", "Transpose", "Pad"}
        inits = {t.name for t in model.graph.initializer}
        assert not [n for n in model.graph.node if n.op_type in folds and n.input[0] in inits]
        used = {x for n in model.graph.node for x in n.input}
        assert inits <= used
        own = (causal / weights_file(blocked_file(b))).stat().st_size
        assert weights <= own < weights * 1.1 and (causal / blocked_file(b)).stat().st_size < 300_000
    noncausal = export_voice(VOICES / "zhibei_emo", tmp_path / "noncausal")
    assert {p.name for p in noncausal.iterdir()} == {"voc.onnx"}  # one-shot graph: no streaming, no copies
    assert OnnxVocoder(noncausal / "voc.onnx").graph == "voc.onnx"


def _one_channel_conv():
    """A conv with one output channel: ONNX Runtime's own layout pass pads its bias to one block."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64, 1, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    w = numpy_helper.from_array(np.ones((1, 64, 1, 3), np.float32), "w")
    bias = numpy_helper.from_array(np.zeros(1, np.float32), "b")
    graph = helper.make_graph([helper.make_node("Conv", ["x", "w", "b"], ["y"])], "g", [x], [y], [w, bias])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_the_probe_reports_the_block_size_of_onnxruntimes_own_layout_pass(tmp_path):
    export_voice(VOICES / "zhitian_emo", tmp_path)
    opts = session_options(1)
    opts.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(_one_channel_conv().SerializeToString(), opts, providers=["CPUExecutionProvider"])
    optimized = onnx.load(str(tmp_path / "optimized.onnx"))
    convs = [n for n in optimized.graph.node if n.domain == DOMAIN and n.op_type == "Conv"]
    inits = {t.name: t for t in optimized.graph.initializer}
    want = int(inits[convs[0].input[2]].dims[0]) if convs else None
    assert nchwc_block(tmp_path / PROBE_FILE) == want
    voc = OnnxVocoder(tmp_path / "voc.onnx")
    assert voc.graph == (blocked_file(want) if want in BLOCKS else "voc.onnx")
    assert nchwc_block(tmp_path / "absent.onnx") is None


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_the_graph_picked_for_this_cpu_equals_the_plain_graph(exported, name):
    auto, plain = OnnxVocoder(exported[name]), OnnxVocoder(exported[name], layout="plain")
    assert plain.graph == "voc.onnx"
    mel = _mel(1, 150)
    want = plain.vocode(mel)
    for chunk in (None, 16, 40):  # every chunk carries the blocked histories on to the next
        np.testing.assert_allclose(auto.vocode(mel, chunk_frames=chunk), want, rtol=0, atol=2e-6)
    if auto.graph != "voc.onnx" and name == "blocked-throughout":
        # the carried histories of blocked convs are 5-D [1, C/b, 1, L, b]; only the mel's stays plain
        block = int(auto.graph.removeprefix("voc.nchwc").removesuffix(".onnx"))
        shapes = [s.shape for s in auto._zero_states.values()]
        assert shapes[0] == (1, 80, 1, 4) and all(len(s) == 5 and s[-1] == block for s in shapes[1:])


def test_the_golden_voice_reads_the_same_through_either_graph(tmp_path, golden):
    d = export_voice(VOICES / "zhitian_emo", tmp_path)
    mel = golden["zhitian_emo__2__mel"]
    auto, plain = OnnxVocoder(d / "voc.onnx"), OnnxVocoder(d / "voc.onnx", layout="plain")
    np.testing.assert_allclose(auto.vocode(mel), plain.vocode(mel), rtol=0, atol=2e-6)
    np.testing.assert_allclose(auto.vocode(mel), golden["zhitian_emo__2__wav"], rtol=0, atol=5e-5)


def test_without_a_matching_copy_the_plain_graph_runs(tmp_path):
    path = export_vocoder(_generator("blocked-throughout"), tmp_path / "voc.onnx")
    block = nchwc_block(tmp_path / PROBE_FILE)
    if block:
        (tmp_path / blocked_file(block)).unlink()
    assert OnnxVocoder(path).graph == "voc.onnx"
    copy = tmp_path / "copy.onnx"  # any other file name (an int8 copy, say) runs as it is
    copy.write_bytes(path.read_bytes())
    assert OnnxVocoder(copy).graph == "copy.onnx"
    with pytest.raises(ModelError, match="layout"):
        OnnxVocoder(path, layout="nchwc")


# ------------------------------------------------------------------ every block size, on any CPU
def _emulated(model, b: int):
    """``model`` with its nchwc nodes replaced by standard ONNX ops of the same semantics for block ``b``, so a
    blocked copy for a block size this CPU does not run can still be run and compared here."""
    g = model.graph
    out = []
    count = [0]

    def name(base):
        count[0] += 1
        return f"emu{count[0]}/{base}"

    def const(values):
        n = name("c")
        g.initializer.append(numpy_helper.from_array(np.array(values, np.int64), n))
        return n

    def frames(x):  # the time axis of a 4-D tensor, as a 1-element shape
        s, t = name("shape"), name("t")
        out.append(helper.make_node("Shape", [x], [s]))
        out.append(helper.make_node("Slice", [s, const([3]), const([4])], [t]))
        return t

    def reshape(x, head, t):
        s, y = name("target"), name("r")
        out.append(helper.make_node("Concat", [const(head), t], [s], axis=0))
        out.append(helper.make_node("Reshape", [x, s], [y]))
        return y

    def to_blocked(x, y):  # plain [1, C, 1, T] -> blocked memory, same shape
        t = frames(x)
        a = reshape(x, [1, -1, b, 1], t)  # [1, C/b, b, 1, T]
        tr = name("tr")
        out.append(helper.make_node("Transpose", [a], [tr], perm=[0, 1, 3, 4, 2]))  # [1, C/b, 1, T, b]
        s = name("target")
        out.append(helper.make_node("Concat", [const([1, -1, 1]), t], [s], axis=0))
        out.append(helper.make_node("Reshape", [tr, s], [y]))

    def to_plain(x, y, channels=None):
        t = frames(x)
        a = reshape(x, [1, -1, 1], t)
        s5, a5 = name("target"), name("r")
        out.append(helper.make_node("Concat", [const([1, -1, 1]), t, const([b])], [s5], axis=0))
        out.append(helper.make_node("Reshape", [a, s5], [a5]))  # [1, C/b, 1, T, b]
        tr = name("tr")
        out.append(helper.make_node("Transpose", [a5], [tr], perm=[0, 1, 4, 2, 3]))  # [1, C/b, b, 1, T]
        full = reshape(tr, [1, -1, 1], t) if channels else None
        if channels:
            out.append(helper.make_node("Slice", [full, const([0]), const([channels]), const([1])], [y]))
        else:
            s4 = name("target")
            out.append(helper.make_node("Concat", [const([1, -1, 1]), t], [s4], axis=0))
            out.append(helper.make_node("Reshape", [tr, s4], [y]))

    for n in g.node:
        if n.domain != DOMAIN:
            out.append(n)
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "ReorderInput":
            to_blocked(n.input[0], n.output[0])
        elif n.op_type == "ReorderOutput":
            to_plain(n.input[0], n.output[0], attrs["channels"])
        elif n.op_type == "Conv":
            x = name("x")
            to_plain(n.input[0], x)
            wt, w = name("wt"), name("w")
            shp = name("wshape")
            out.append(helper.make_node("Shape", [n.input[1]], [shp]))
            # blocked filter [Co/b, Ci/b, kh, kw, b_in, b_out] -> plain [Co, Ci, kh, kw]
            kh, kw = attrs["kernel_shape"]
            w6b = name("w6b")
            sh6 = name("s6")
            co_blocks = name("cob")
            out.append(helper.make_node("Slice", [shp, const([0]), const([1])], [co_blocks]))
            cob = name("cobd")
            out.append(helper.make_node("Div", [co_blocks, const([b])], [cob]))
            ci = name("ci")
            out.append(helper.make_node("Slice", [shp, const([1]), const([2])], [ci]))
            cib = name("cib")
            out.append(helper.make_node("Div", [ci, const([b])], [cib]))
            out.append(helper.make_node("Concat", [cob, cib, const([kh, kw, b, b])], [sh6], axis=0))
            out.append(helper.make_node("Reshape", [n.input[1], sh6], [w6b]))
            out.append(helper.make_node("Transpose", [w6b], [wt], perm=[0, 5, 1, 4, 2, 3]))
            out.append(helper.make_node("Reshape", [wt, shp], [w]))
            y = name("y")
            conv_attrs = {
                k: attrs[k] for k in ("kernel_shape", "dilations", "strides", "pads", "group") if k in attrs
            }
            out.append(helper.make_node("Conv", [x, w, *n.input[2:3]], [y], **conv_attrs))
            activation = attrs.get("activation", b"").decode()
            assert activation in ("", "LeakyRelu"), activation
            if activation == "LeakyRelu":
                z = name("act")
                out.append(
                    helper.make_node("LeakyRelu", [y], [z], alpha=float(attrs["activation_params"][0]))
                )
                y = z
            to_blocked(y, n.output[0])
        else:
            raise AssertionError(f"no emulation for {n.op_type}")
    del g.node[:]
    g.node.extend(out)
    return model


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("name", ["blocked-throughout", "floor-channels"])
def test_every_blocked_copy_computes_the_plain_graphs_function(exported, name, block):
    """The emulation is checked against the real kernels for the block this CPU runs (below), so a copy for
    another block size is checked through the same emulation."""
    path = exported[name]
    plain = OnnxVocoder(path, layout="plain")
    model = onnx.load(str(path.parent / blocked_file(block)), load_external_data=False)
    emulated = path.parent / f"emulated{block}.onnx"
    onnx.save(_emulated(model, block), str(emulated))
    emu = OnnxVocoder(emulated)
    mel = _mel(3, 90)
    want = plain.vocode(mel)
    np.testing.assert_allclose(emu.vocode(mel, chunk_frames=32), want, rtol=0, atol=1e-5)
    if nchwc_block(path.parent / PROBE_FILE) == block:
        real = OnnxVocoder(path)
        assert real.graph == blocked_file(block)
        np.testing.assert_allclose(
            real.vocode(mel, chunk_frames=32), emu.vocode(mel, chunk_frames=32), atol=1e-5
        )
