#!/usr/bin/python3
"""Store an ONNX model's float32 initializers as float16, each read back through a Cast(to=FLOAT).

  scripts/onnx-fp16-weights.py IN.onnx OUT.onnx

The form fp16 model converters write when they keep float32 compute: initializer W becomes the
float16 initializer W_fp16, and a node Cast(W_fp16) -> W, named W_to_float, restores the name the
graph reads. The Casts are appended at the END of the node list, as those converters do, so the
graph is no longer in topological order (ONNX Runtime sorts it at load; onnx.checker refuses it).
Constant nodes are left as they are. Run with Debian's /usr/bin/python3 (python3-onnx).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def convert(model):
    """Converts `model` in place; returns the number of initializers converted."""
    graph = model.graph
    graph_inputs = {i.name: k for k, i in enumerate(graph.input)}
    taken = {i.name for i in graph.initializer} | {o for n in graph.node for o in n.output}
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        name = init.name
        values = numpy_helper.to_array(init)
        half = values.astype(np.float16)
        if not np.all(np.isfinite(half[np.isfinite(values)])):
            raise ValueError(f"initializer '{name}': values beyond float16's range (max |w| = "
                             f"{np.abs(values).max()})")
        half_name = name + "_fp16"
        while half_name in taken:
            half_name += "_"
        taken.add(half_name)
        init.CopyFrom(numpy_helper.from_array(half, name=half_name))
        casts.append(helper.make_node("Cast", [half_name], [name], name=name + "_to_float",
                                      to=TensorProto.FLOAT))
    # Old exporters list initializers among the graph inputs too; the name is now a node's output.
    converted = {c.output[0] for c in casts}
    kept_inputs = [i for i in graph.input if i.name not in converted]
    if len(kept_inputs) != len(graph_inputs):
        del graph.input[:]
        graph.input.extend(kept_inputs)
    graph.node.extend(casts)
    return len(casts)


def main(argv):
    if len(argv) != 3:
        print("usage: " + __doc__.strip().split("\n")[2].strip(), file=sys.stderr)
        return 2
    model = onnx.load(argv[1])
    count = convert(model)
    tmp = argv[2] + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, argv[2])
    print(f"{argv[2]}: {count} initializers stored as float16")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
