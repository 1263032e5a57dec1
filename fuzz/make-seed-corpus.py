#!/usr/bin/python3
"""Writes the seed models of the model loader's fuzzing corpus (fuzz/corpus/model_loader/seed-*).

Small hand-made ONNX models (no torchvision), each under 20 KB, covering what the loader and the
runtime read: conv + relu + residual add + pooling + gemm, Identity / Constant / Shape -> Gather ->
Unsqueeze -> Concat -> Reshape chains, BatchNormalization, Clip with min / max inputs, int64
initializers, weights as raw_data and as float_data, depthwise and grouped convs, MatMul, every
other op family of src/runtime/ops, and initializers of every data type onexn imports.

Run with /usr/bin/python3 (Debian's python3-onnx and python3-numpy):
    /usr/bin/python3 fuzz/make-seed-corpus.py [OUT_DIR]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
rng = np.random.default_rng(0)


def weights(*shape):
    return (rng.standard_normal(shape) * 0.1).astype(np.float32)


def init(name, array, raw=True):
    """An initializer stored as raw_data (raw=True) or in the typed field (float_data, ...)."""
    if raw:
        return numpy_helper.from_array(array, name)
    dtype = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[array.dtype]
    return helper.make_tensor(name, dtype, array.shape, array.flatten().tolist(), raw=False)


def model(nodes, inputs, outputs, inits=(), opset=OPSET, name="seed"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="onexn-fuzz-seed")
    m.ir_version = 7
    onnx.checker.check_model(m)
    return m


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def conv_relu_add_pool_gemm():
    n = helper.make_node
    return model(
        [n("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
         n("Relu", ["c1"], ["r1"], name="relu1"),
         n("Conv", ["r1", "w2"], ["c2"], name="conv2"),
         n("Add", ["r1", "c2"], ["a"], name="add"),
         n("Relu", ["a"], ["r2"], name="relu2"),
         n("MaxPool", ["r2"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
         n("GlobalAveragePool", ["p"], ["g"], name="gap"),
         n("Flatten", ["g"], ["f"], name="flatten"),
         n("Gemm", ["f", "wfc", "bfc"], ["y"], name="fc", transB=1)],
        [vi("x", [1, 3, 8, 8])], [vi("y", [1, 10])],
        [init("w1", weights(4, 3, 3, 3)), init("b1", weights(4)), init("w2", weights(4, 4, 1, 1)),
         init("wfc", weights(10, 4)), init("bfc", weights(10))])


def float_data_weights():
    n = helper.make_node
    return model(
        [n("Conv", ["x", "w", "b"], ["c"], name="conv", strides=[2, 2], pads=[1, 1, 1, 1]),
         n("Relu", ["c"], ["y"])],
        [vi("x", [1, 2, 6, 6])], [vi("y", [1, 4, 3, 3])],
        [init("w", weights(4, 2, 3, 3), raw=False), init("b", weights(4), raw=False)])


def shape_chain():
    """Identity on weights, Constant nodes, Shape -> Gather -> Unsqueeze -> Concat -> Reshape."""
    n = helper.make_node
    return model(
        [n("Identity", ["w_init"], ["w"], name="w_identity"),
         n("Conv", ["x", "w"], ["c"], name="conv"),
         n("Shape", ["c"], ["s"], name="shape"),
         n("Constant", [], ["zero"], value=helper.make_tensor("zero", TensorProto.INT64, [], [0])),
         n("Gather", ["s", "zero"], ["batch"], name="gather", axis=0),
         n("Constant", [], ["axes"], value_ints=[0]),
         n("Unsqueeze", ["batch", "axes"], ["batch1"], name="unsqueeze"),
         n("Constant", [], ["minus1"], value=helper.make_tensor("m1", TensorProto.INT64, [1], [-1])),
         n("Concat", ["batch1", "minus1"], ["newshape"], name="concat", axis=0),
         n("Reshape", ["c", "newshape"], ["flat"], name="reshape"),
         n("Identity", ["flat"], ["flat2"], name="identity"),
         n("Constant", [], ["wfc"], value=numpy_helper.from_array(weights(36, 5), "wfc")),
         n("MatMul", ["flat2", "wfc"], ["y"], name="matmul")],
        [vi("x", ["N", 2, 5, 5])], [vi("y", ["N", 5])],
        [init("w_init", weights(4, 2, 3, 3))])


def batchnorm():
    n = helper.make_node
    return model(
        [n("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         n("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["bn"], name="bn", epsilon=1e-5),
         n("Relu", ["bn"], ["y"], name="relu")],
        [vi("x", [1, 3, 6, 6])], [vi("y", [1, 8, 6, 6])],
        [init("w", weights(8, 3, 3, 3)), init("scale", weights(8) + 1), init("bias", weights(8)),
         init("mean", weights(8)), init("var", np.abs(weights(8)) + 0.5)])


def clip_inputs():
    """Clip with min / max as inputs (opset >= 11), one omitted, a depthwise conv, HardSwish (14)."""
    n = helper.make_node
    return model(
        [n("Conv", ["x", "wd"], ["d"], name="depthwise", group=4, pads=[1, 1, 1, 1]),
         n("Clip", ["d", "lo", "hi"], ["c1"], name="relu6"),
         n("Conv", ["c1", "wp"], ["p"], name="pointwise"),
         n("Clip", ["p", "", "hi"], ["c2"], name="clip_max_only"),
         n("HardSwish", ["c2"], ["y"], name="hardswish")],
        [vi("x", [1, 4, 5, 5])], [vi("y", [1, 6, 5, 5])],
        [init("wd", weights(4, 1, 3, 3)), init("wp", weights(6, 4, 1, 1)),
         init("lo", np.array(0, np.float32)), init("hi", np.array(6, np.float32))], opset=14)


def int64_initializers():
    """Shape arguments as int64 initializers, raw_data and int64_data."""
    n = helper.make_node
    return model(
        [n("Reshape", ["x", "shape_raw"], ["r"], name="reshape"),
         n("Transpose", ["r"], ["t"], name="transpose", perm=[0, 2, 1]),
         n("Slice", ["t", "starts", "ends", "axes"], ["s"], name="slice"),
         n("Pad", ["s", "pads"], ["p"], name="pad"),
         n("Reshape", ["p", "shape_typed"], ["y"], name="reshape2")],
        [vi("x", [1, 2, 3, 4])], [vi("y", [1, 24])],
        [init("shape_raw", np.array([1, 6, 4], np.int64)),
         init("starts", np.array([1], np.int64), raw=False),
         init("ends", np.array([3], np.int64), raw=False),
         init("axes", np.array([1], np.int64), raw=False),
         init("pads", np.array([0, 1, 0, 0, 1, 0], np.int64)),
         init("shape_typed", np.array([1, -1], np.int64), raw=False)])


def grouped_conv_matmul():
    n = helper.make_node
    return model(
        [n("Conv", ["x", "w"], ["c"], name="grouped", group=2, kernel_shape=[3, 1], pads=[1, 0, 1, 0]),
         n("Sigmoid", ["c"], ["s"], name="sigmoid"),
         n("Mul", ["c", "s"], ["m"], name="swish"),
         n("ReduceMean", ["m"], ["r"], name="reduce", axes=[2, 3], keepdims=0),
         n("MatMul", ["r", "wm"], ["mm"], name="matmul"),
         n("Add", ["mm", "bm"], ["y"], name="bias")],
        [vi("x", [2, 4, 4, 4])], [vi("y", [2, 3])],
        [init("w", weights(6, 2, 3, 1)), init("wm", weights(6, 3)), init("bm", weights(3))])


def elementwise_mix():
    n = helper.make_node
    return model(
        [n("Sub", ["x", "mean"], ["a"], name="sub"),
         n("Div", ["a", "std"], ["b"], name="div"),
         n("HardSigmoid", ["b"], ["c"], name="hardsigmoid", alpha=0.2, beta=0.5),
         n("Dropout", ["c"], ["d"], name="dropout"),
         n("Cast", ["d"], ["e"], name="cast", to=TensorProto.FLOAT),
         n("AveragePool", ["e"], ["f"], name="avgpool", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
           strides=[2, 2], count_include_pad=0),
         n("Split", ["f", "split"], ["s1", "s2"], name="split", axis=1),
         n("Concat", ["s2", "s1"], ["g"], name="concat", axis=1),
         n("Squeeze", ["g", "sq_axes"], ["h"], name="squeeze"),
         n("Softmax", ["h"], ["y"], name="softmax", axis=-1)],
        [vi("x", [1, 4, 1, 6])], [vi("y", [4, 3])],
        [init("mean", np.array([0.5], np.float32)), init("std", np.array([2.0], np.float32)),
         init("split", np.array([1, 3], np.int64)), init("sq_axes", np.array([0, 2], np.int64))])


def constant_forms():
    """Constant nodes in each value_* form, and initializers of every type onexn imports."""
    n = helper.make_node
    inits = [
        init("d64", np.array([1.5, -2.0], np.float64)),
        init("d64_typed", np.array([0.25], np.float64), raw=False),
        init("i32", np.array([1, 2], np.int32)),
        init("i32_typed", np.array([3], np.int32), raw=False),
        init("i8", np.array([-1, 2], np.int8)),
        init("u8", np.array([7], np.uint8)),
        init("flag", np.array([True, False])),
        init("i64_typed", np.array([5], np.int64), raw=False),
    ]
    return model(
        [n("Constant", [], ["cf"], value_float=0.5),
         n("Constant", [], ["cfs"], value_floats=[1.0, 2.0, 3.0]),
         n("Constant", [], ["ci"], value_int=2),
         n("Constant", [], ["cis"], value_ints=[1, 3]),
         n("Mul", ["x", "cf"], ["a"], name="scale"),
         n("Add", ["a", "cfs"], ["b"], name="shift"),
         n("Reshape", ["b", "cis"], ["y"], name="reshape")],
        [vi("x", [3])], [vi("y", [1, 3])], inits)


def two_inputs_two_outputs():
    n = helper.make_node
    return model(
        [n("Add", ["x1", "x2"], ["s"], name="add"),
         n("Relu", ["s"], ["y1"], name="relu"),
         n("Conv", ["s", "w"], ["y2"], name="conv")],
        [vi("x1", [1, 2, 3, 3]), vi("x2", [1, 2, 3, 3])], [vi("y1", [1, 2, 3, 3]), vi("y2", [1, 1, 3, 3])],
        [init("w", weights(1, 2, 1, 1))])


def gemm_not_transposed_opset10():
    """Gemm with transB = 0 (weights stored [in][out]), Clip with attributes at opset 6."""
    n = helper.make_node
    return model(
        [n("Gemm", ["x", "w", "b"], ["g"], name="fc", alpha=1.0, beta=1.0),
         n("Clip", ["g"], ["y"], name="clip", min=-1.0, max=1.0)],
        [vi("x", [2, 5])], [vi("y", [2, 3])],
        [init("w", weights(5, 3)), init("b", weights(3))], opset=10)


SEEDS = [conv_relu_add_pool_gemm, float_data_weights, shape_chain, batchnorm, clip_inputs,
         int64_initializers, grouped_conv_matmul, elementwise_mix, constant_forms,
         two_inputs_two_outputs, gemm_not_transposed_opset10]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus",
                                                                   "model_loader")
    os.makedirs(out_dir, exist_ok=True)
    for make in SEEDS:
        data = make().SerializeToString()
        assert len(data) < 20_000, (make.__name__, len(data))
        path = os.path.join(out_dir, "seed-" + make.__name__.replace("_", "-") + ".onnx")
        with open(path, "wb") as f:
            f.write(data)
        print(f"{path}: {len(data)} bytes")


if __name__ == "__main__":
    main()
