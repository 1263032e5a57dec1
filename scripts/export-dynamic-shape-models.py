#!/usr/bin/python3
"""Small conv nets with symbolic input shapes, and variants of them, for the runtime's tests.

  scripts/export-dynamic-shape-models.py OUT_DIR

Writes into OUT_DIR (Debian's /usr/bin/python3: python3-torch, python3-onnx):
  dynconv.onnx           torch.onnx export of a conv net (conv, ReLU, max pool, strided conv,
                         residual add, global average pool, linear) whose input 'images' is
                         [batch, 3, height, width] (dynamic_axes); outputs 'features' (the last
                         feature map) and 'logits' [batch, 10].
  dynconv.inK.pb, dynconv.outK.features.pb, dynconv.outK.logits.pb
                         for K = 0, 1, 2: a random input of shape SHAPES[K] and the PyTorch
                         module's outputs for it.
  dynconv-shuffled.onnx  dynconv.onnx with its nodes in a fixed-seed random order that is not
                         topological; it computes the same outputs.
  dynconv-fp16.onnx      the same net with every parameter rounded to float16, stored as FLOAT16
                         initializers read through Cast(to=FLOAT) nodes appended after all other
                         nodes (as fp16 converters write them);
  dynconv-fp16.out0.features.pb, dynconv-fp16.out0.logits.pb
                         the rounded PyTorch module's outputs for dynconv.in0.pb (the float
                         module's are dynconv.out0.*.pb).
  int-io.onnx            a graph of int64 and bool run-time tensors, made with onnx.helper: inputs
                         x float [4, 12], ids int64 [4, 12], mask bool [2, 3]; outputs
                         ids_cat = Concat(Reshape(ids, [12, 4]), [[7, 8, 9, 10]]) int64 [13, 4],
                         scaled = Cast(ids, FLOAT) * x float [4, 12], 'out/mask:0' = mask bool;
  int-io.x.npy, int-io.ids.npy, int-io.mask.npy, int-io.ids_cat.npy, int-io.scaled.npy,
  int-io.mask_out.npy    its inputs and the outputs numpy computes for them.
"""
import os
import random
import sys

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

SHAPES = [(1, 3, 32, 48), (2, 3, 40, 24), (1, 3, 56, 56)]


class DynConv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.pool = torch.nn.MaxPool2d(2)
        self.down = torch.nn.Conv2d(16, 24, 3, stride=2, padding=1)
        self.body = torch.nn.Conv2d(24, 24, 3, padding=1)
        self.point = torch.nn.Conv2d(24, 24, 1)
        self.head = torch.nn.Linear(24, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.stem(x)))
        x = torch.relu(self.down(x))
        features = torch.relu(self.point(torch.relu(self.body(x))) + x)
        pooled = torch.nn.functional.adaptive_avg_pool2d(features, 1)
        return features, self.head(torch.flatten(pooled, 1))


def save_tensor(path, array, name):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), name=name).SerializeToString())


def export(model, path):
    x = torch.randn(*SHAPES[0])
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=13, input_names=["images"],
                      output_names=["features", "logits"],
                      dynamic_axes={"images": {0: "batch", 2: "height", 3: "width"},
                                    "features": {0: "batch", 2: "fh", 3: "fw"},
                                    "logits": {0: "batch"}})
    m = onnx.load(tmp)
    os.remove(tmp)
    return m


def save_model(m, path):
    onnx.checker.check_model(m)
    onnx.save(m, path + ".tmp")
    os.replace(path + ".tmp", path)


def save_outputs(model, x, stem):
    with torch.no_grad():
        features, logits = model(x)
    save_tensor(stem + ".features.pb", features.numpy(), "features")
    save_tensor(stem + ".logits.pb", logits.numpy(), "logits")


def shuffled(m):
    """The nodes in a random order in which some node comes before a node it reads from."""
    out = onnx.ModelProto()
    out.CopyFrom(m)
    nodes = list(m.graph.node)
    rng = random.Random(7)
    order = list(range(len(nodes)))
    while order == sorted(order) or order == list(range(len(nodes))):
        rng.shuffle(order)
    del out.graph.node[:]
    out.graph.node.extend(nodes[k] for k in order)
    return out


def fp16_stored(m):
    """Initializers as FLOAT16, each read through a Cast(to=FLOAT) appended at the end."""
    out = onnx.ModelProto()
    out.CopyFrom(m)
    g = out.graph
    casts = []
    for t in g.initializer:
        a = numpy_helper.to_array(t)
        if a.dtype != np.float32:
            continue
        half = a.astype(np.float16)
        assert np.array_equal(half.astype(np.float32), a), "parameters must be fp16-exact"
        stored = numpy_helper.from_array(half, name=t.name + "_fp16")
        t.CopyFrom(stored)
        casts.append(helper.make_node("Cast", [t.name], [t.name[:-len("_fp16")]],
                                      name="cast_" + t.name, to=onnx.TensorProto.FLOAT))
    g.node.extend(casts)
    return out


def int_io(out_dir):
    T = onnx.TensorProto
    nodes = [
        helper.make_node("Reshape", ["ids", "shape"], ["ids_t"], name="reshape"),
        helper.make_node("Concat", ["ids_t", "tail"], ["ids_cat"], name="concat", axis=0),
        helper.make_node("Cast", ["ids"], ["ids_f"], name="cast", to=T.FLOAT),
        helper.make_node("Mul", ["ids_f", "x"], ["scaled"], name="mul"),
        helper.make_node("Identity", ["mask"], ["out/mask:0"], name="mask_copy"),
    ]
    tail = np.array([[7, 8, 9, 10]], dtype=np.int64)
    g = helper.make_graph(
        nodes, "int-io",
        [helper.make_tensor_value_info("x", T.FLOAT, [4, 12]),
         helper.make_tensor_value_info("ids", T.INT64, [4, 12]),
         helper.make_tensor_value_info("mask", T.BOOL, [2, 3])],
        [helper.make_tensor_value_info("ids_cat", T.INT64, [13, 4]),
         helper.make_tensor_value_info("scaled", T.FLOAT, [4, 12]),
         helper.make_tensor_value_info("out/mask:0", T.BOOL, [2, 3])],
        [numpy_helper.from_array(np.array([12, 4], dtype=np.int64), "shape"),
         numpy_helper.from_array(tail, "tail")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="onexn-tests")
    save_model(m, os.path.join(out_dir, "int-io.onnx"))
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 12)).astype(np.float32)
    ids = rng.integers(-(2 ** 40), 2 ** 40, size=(4, 12), dtype=np.int64)
    ids[0, :4] = [0, -1, 5, 2 ** 31]
    mask = np.array([[True, False, True], [False, False, True]])
    values = {"x": x, "ids": ids, "mask": mask,
              "ids_cat": np.concatenate([ids.reshape(12, 4), tail], axis=0),
              "scaled": ids.astype(np.float32) * x, "mask_out": mask.copy()}
    for name, a in values.items():
        np.save(os.path.join(out_dir, f"int-io.{name}.npy"), a)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    model = DynConv().eval()
    m = export(model, os.path.join(out_dir, "dynconv.onnx"))
    save_model(m, os.path.join(out_dir, "dynconv.onnx"))
    gen = torch.Generator().manual_seed(1)
    inputs = []
    for k, shape in enumerate(SHAPES):
        x = torch.randn(*shape, generator=gen)
        inputs.append(x)
        save_tensor(os.path.join(out_dir, f"dynconv.in{k}.pb"), x.numpy(), "images")
        save_outputs(model, x, os.path.join(out_dir, f"dynconv.out{k}"))
    s = shuffled(m)
    # The checker insists on topological order, so the shuffled model is saved unchecked.
    onnx.save(s, os.path.join(out_dir, "dynconv-shuffled.onnx"))

    rounded = DynConv().eval()
    rounded.load_state_dict(model.state_dict())
    with torch.no_grad():
        for p in rounded.parameters():
            p.copy_(p.half().float())
    h = fp16_stored(export(rounded, os.path.join(out_dir, "dynconv-fp16.onnx")))
    onnx.save(h, os.path.join(out_dir, "dynconv-fp16.onnx"))
    save_outputs(rounded, inputs[0], os.path.join(out_dir, "dynconv-fp16.out0"))
    int_io(out_dir)
    print(f"dynamic-shape test models in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
