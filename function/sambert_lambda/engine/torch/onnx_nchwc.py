"""Write the streaming vocoder graph in ONNX Runtime's blocked channel layout (``com.microsoft.nchwc``), at bake time.

ONNX Runtime's own layout pass (``ORT_ENABLE_ALL``) runs every conv in its blocked layout ``[N, C/b, H, W, b]``
but converts each conv's input into it and each output back: the pass does not carry the layout through the
time-axis concatenation that prepends a conv's carried history, nor through the slice that keeps the next one. In
the streaming graph every conv sits between such a pair, so each conv costs two extra passes over its activations.

:func:`blocked_graph` writes the same function with the activations kept blocked from conv to conv:

- a conv whose input channels divide by ``b`` becomes a ``com.microsoft.nchwc`` ``Conv``, with a following
  ``LeakyRelu`` fused into it as the layout pass does; its filter is the plain filter reordered here into ONNX
  Runtime's ``OIHWBiBo`` order (``[Co/b, Ci/b, H, W, b_in, b_out]``, output channels zero-padded to a multiple of
  ``b``), so each copy carries its own reordered weights. Leaving the reorder to ONNX Runtime's constant folding
  instead costs that work at every load: ONNX Runtime took 0.14 s to load the real-size vocoder that way,
  against 0.03 s with the filters stored reordered (same process, three loads each, the same samples out);
- element-wise ops, the history concatenation and the history slice run on the blocked tensor seen as 5-D
  ``[1, C/b, 1, T, b]`` (a ``Reshape``, which copies nothing), and the carried histories of those convs are graph
  inputs and outputs in that 5-D shape;
- everything else (the polyphase interleave, the last conv's single output channel, channel counts that do not
  divide by ``b``) gets plain tensors through ``ReorderOutput``/``ReorderInput``, as ONNX Runtime would do.

The arithmetic is the layout pass's own (same kernels, same order of additions), so the output equals the plain
graph's. The block size is the CPU's (8 with AVX2, 16 with AVX-512): the runtime picks the file whose block matches
what the probe (``engine.onnx.vocoder.PROBE_FILE``) reports and falls back to the plain graph otherwise
(:mod:`sambert_lambda.engine.onnx.vocoder`).
"""

from __future__ import annotations

import json

import numpy as np

DOMAIN = "com.microsoft.nchwc"
BLOCKS = (8, 16)  # AVX2 and AVX-512 CPUs
PROBE_CHANNELS = 64
ELEMENTWISE = frozenset({"Add", "Sub", "Mul", "Div", "LeakyRelu", "Relu", "Sin", "Tanh", "Sigmoid"})


def blocked_graph(model, block: int, frames: int, meta_key: str):
    """A copy of the streaming graph ``model`` (plain ONNX, its weights loaded) with activations in
    ``block``-channel blocks between convs; ``frames``: a chunk length for shape inference. The copy holds the
    reordered filters and whichever plain initializers it still uses. ``None`` when no conv qualifies."""
    import onnx
    from onnx import helper, numpy_helper

    b = int(block)
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    mel = probe.graph.input[0].type.tensor_type.shape.dim
    mel[2].Clear()
    mel[2].dim_value = int(frames)
    inferred = onnx.shape_inference.infer_shapes(probe, data_prop=True)
    chan: dict[str, int] = {}
    for vi in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]:
        dims = vi.type.tensor_type.shape.dim
        if len(dims) == 4 and dims[1].dim_value:
            chan[vi.name] = dims[1].dim_value

    out = onnx.ModelProto()
    out.CopyFrom(model)
    g = out.graph
    inits = {t.name: t for t in g.initializer}
    # the tensors of Constant nodes, by output name: biases may come as those as well as initializers
    constants = {n.output[0]: n.attribute[0].t for n in g.node
                 if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value"}  # fmt: skip
    scalars = {name for name, t in [*inits.items(), *constants.items()] if int(np.prod(t.dims)) == 1}
    inputs = {v.name: v for v in g.input}
    outputs = {v.name: v for v in g.output}
    uses: dict[str, list] = {}
    for n in g.node:
        for x in n.input:
            uses.setdefault(x, []).append(n)

    nodes: list = []
    blocked: dict[str, str] = {}  # plain tensor name -> its blocked 5-D tensor
    plain_exists = set(inputs) | set(inits) | {n.output[0] for n in g.node if n.op_type == "Constant"}
    shapes: dict[tuple, str] = {}
    counter = [0]
    fused: set[str] = set()  # outputs of the LeakyRelu nodes fused into a conv
    converted = 0

    def fresh(base: str) -> str:
        counter[0] += 1
        return f"{base}/nchwc{b}_{counter[0]}"

    def const(values, dtype=np.int64) -> str:
        key = (dtype, tuple(values))
        if key not in shapes:
            name = f"nchwc{b}/const_{len(shapes)}"
            g.initializer.append(numpy_helper.from_array(np.array(values, dtype), name))
            shapes[key] = name
        return shapes[key]

    def to_5d(x4: str, c: int) -> str:
        y = fresh(x4)
        nodes.append(helper.make_node("Reshape", [x4, const([1, c // b, 1, -1, b])], [y]))
        return y

    def to_4d(x5: str, c: int) -> str:
        y = fresh(x5)
        nodes.append(helper.make_node("Reshape", [x5, const([1, c, 1, -1])], [y]))
        return y

    def blockable(x: str) -> bool:
        return x in blocked or (x in chan and chan[x] % b == 0 and x not in scalars)

    def block(x: str) -> str:
        if x not in blocked:
            r = fresh(x)
            nodes.append(helper.make_node("ReorderInput", [x], [r], domain=DOMAIN, channels_last=0))
            blocked[x] = to_5d(r, chan[x])
        return blocked[x]

    def plain(x: str) -> None:
        if x and x not in plain_exists and x in blocked:
            nodes.append(
                helper.make_node(
                    "ReorderOutput", [to_4d(blocked[x], chan[x])], [x], domain=DOMAIN, channels_last=0,
                    channels=chan[x],
                )
            )  # fmt: skip
            plain_exists.add(x)

    def declare_5d(vi, c: int) -> None:
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        vi.type.tensor_type.shape.Clear()
        for v in (1, c // b, 1, dims[3], b):
            vi.type.tensor_type.shape.dim.add().dim_value = v

    def filter_of(w_name: str, co: int, ci: int, kh: int, kw: int) -> str:
        w = numpy_helper.to_array(inits[w_name]).astype(np.float32, copy=False)
        cop = co + (-co) % b
        if cop != co:
            w = np.concatenate([w, np.zeros((cop - co, ci, kh, kw), np.float32)])
        folded = (
            w.reshape(cop // b, b, ci // b, b, kh, kw).transpose(0, 2, 4, 5, 3, 1).reshape(cop, ci, kh, kw)
        )
        return initializer(f"{w_name}/nchwc{b}", folded)

    def bias_of(b_name: str, co: int) -> str:
        pad = (-co) % b
        if not pad:
            return b_name
        tensor = inits[b_name] if b_name in inits else constants.get(b_name)
        if tensor is not None:
            bias = numpy_helper.to_array(tensor).astype(np.float32, copy=False)
            return initializer(f"{b_name}/nchwc{b}", np.concatenate([bias, np.zeros(pad, np.float32)]))
        y = fresh(b_name)  # computed in the graph
        nodes.append(helper.make_node("Pad", [b_name, const([0, pad])], [y]))
        return y

    def initializer(name: str, values: np.ndarray) -> str:
        if name not in inits:
            inits[name] = numpy_helper.from_array(np.ascontiguousarray(values), name)
            g.initializer.append(inits[name])
        return name

    for n in list(g.node):
        op = n.op_type
        if op == "LeakyRelu" and n.output[0] in fused:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if (
            op == "Conv"
            and n.input[1] in inits
            and len(inits[n.input[1]].dims) == 4
            and attrs.get("group", 1) == 1
            and blockable(n.input[0])
        ):
            co, ci, kh, kw = (int(d) for d in inits[n.input[1]].dims)
            if ci % b == 0:
                x = n.input[0]
                x4 = to_4d(blocked[x], ci) if x in blocked else None
                if x4 is None:
                    x4 = fresh(x)
                    nodes.append(helper.make_node("ReorderInput", [x], [x4], domain=DOMAIN, channels_last=0))
                y_name = n.output[0]
                extra = {}
                consumers = uses.get(y_name, [])
                if len(consumers) == 1 and consumers[0].op_type == "LeakyRelu" and y_name not in outputs:
                    act = consumers[0]
                    alpha = next((a.f for a in act.attribute if a.name == "alpha"), 0.01)
                    extra = {"activation": "LeakyRelu", "activation_params": [alpha]}
                    fused.add(act.output[0])
                    y_name = act.output[0]
                    chan[y_name] = co
                conv_in = [x4, filter_of(n.input[1], co, ci, kh, kw)]
                if len(n.input) > 2 and n.input[2]:
                    conv_in.append(bias_of(n.input[2], co))
                y4 = fresh(y_name)
                nodes.append(
                    helper.make_node(
                        "Conv", conv_in, [y4], domain=DOMAIN,
                        kernel_shape=attrs.get("kernel_shape", [kh, kw]), dilations=attrs.get("dilations", [1, 1]),
                        strides=attrs.get("strides", [1, 1]), pads=attrs.get("pads", [0, 0, 0, 0]), group=1,
                        **extra,
                    )
                )  # fmt: skip
                if co % b == 0:
                    blocked[y_name] = to_5d(y4, co)
                else:
                    nodes.append(
                        helper.make_node(
                            "ReorderOutput", [y4], [y_name], domain=DOMAIN, channels_last=0, channels=co
                        )
                    )
                    plain_exists.add(y_name)
                chan[y_name] = co
                converted += 1
                continue
        data_in = [x for x in n.input if x and x not in scalars]
        if op in ELEMENTWISE and data_in and all(blockable(x) for x in data_in):
            ins = [x if x in scalars or not x else block(x) for x in n.input]
            y = fresh(n.output[0])
            node = helper.make_node(op, ins, [y])
            node.attribute.extend(n.attribute)
            nodes.append(node)
            blocked[n.output[0]] = y
            chan[n.output[0]] = chan[next(x for x in data_in if x in chan)]
            continue
        if (
            op == "Concat"
            and attrs.get("axis") == 3
            and any(x in blocked for x in n.input)
            and all(blockable(x) or _state_input(x, inputs, uses, b) for x in n.input)
        ):
            for x in n.input:
                if x in inputs and x not in blocked:  # a carried history: a graph input in the 5-D shape
                    c = int(inputs[x].type.tensor_type.shape.dim[1].dim_value)
                    declare_5d(inputs[x], c)
                    blocked[x], chan[x] = x, c
                    plain_exists.discard(x)
            y = fresh(n.output[0])
            nodes.append(helper.make_node("Concat", [block(x) for x in n.input], [y], axis=3))
            blocked[n.output[0]] = y
            chan[n.output[0]] = chan[next(x for x in n.input if x in chan)]
            continue
        if op == "Slice" and n.input[0] in blocked and len(n.input) >= 4 and _is_axis3(n.input[3], g, inits):
            y_name = n.output[0]
            c = chan[n.input[0]]
            y = y_name if y_name in outputs else fresh(y_name)
            nodes.append(helper.make_node("Slice", [blocked[n.input[0]], *n.input[1:]], [y]))
            if y_name in outputs:
                declare_5d(outputs[y_name], c)
                plain_exists.add(y_name)
            else:
                blocked[y_name] = y
                chan[y_name] = c
            continue
        for x in n.input:
            plain(x)
        nodes.append(n)
        plain_exists.update(n.output)
    for v in g.output:
        plain(v.name)
    if not converted:
        return None
    used = {x for n in nodes for x in n.input} | {v.name for v in g.output}
    nodes = [n for n in nodes if n.op_type != "Constant" or n.output[0] in used]  # biases reordered above
    del g.node[:]
    g.node.extend(nodes)
    kept = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    for p in out.metadata_props:
        if p.key == meta_key:
            meta = json.loads(p.value)
            meta["nchwc_block"] = b
            p.value = json.dumps(meta)
    return out


def _state_input(name: str, inputs, uses, b: int) -> bool:
    """A graph input of ``[1, C, 1, L]`` with ``C`` divisible by ``b``, read by one node only."""
    if name not in inputs or len(uses.get(name, [])) != 1:
        return False
    dims = [d.dim_value for d in inputs[name].type.tensor_type.shape.dim]
    return len(dims) == 4 and dims[1] > 0 and dims[1] % b == 0


def _is_axis3(name: str, graph, inits) -> bool:
    from onnx import numpy_helper

    if name in inits:
        return numpy_helper.to_array(inits[name]).tolist() == [3]
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return numpy_helper.to_array(n.attribute[0].t).tolist() == [3]
    return False


def probe_graph():
    """A one-node graph that shows the CPU's block size: ``ReorderInput`` of ``[1, 64, 1, 2]`` holding
    ``c + 1000 * t``; in the blocked output, the first value from ``t = 1`` sits at index ``b``."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, PROBE_CHANNELS, 1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("ReorderInput", ["x"], ["y"], domain=DOMAIN, channels_last=0)
    graph = helper.make_graph([node], "nchwc_probe", [x], [y])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(DOMAIN, 1)]
    )
    model.ir_version = 8
    return model
