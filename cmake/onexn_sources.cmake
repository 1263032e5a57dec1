# The source lists, one per target, kept apart from the build logic.

# format <- prune <- kernels: no ONNX, no oneDNN; this is all a cross build for ARM needs.
set(ONEXN_KERNELS_SOURCES
  src/format/weight_shape.cpp
  src/format/block_grid.cpp
  src/format/packed_1xn.cpp
  src/format/packed_1xn_bytes.cpp
  src/format/pattern_stats.cpp
  src/prune/pattern.cpp
  src/prune/masks.cpp
  src/prune/global_masks.cpp
  src/prune/ranking_units.cpp
  src/prune/rearrange.cpp
  src/kernels/reference/conv_params.cpp
  src/kernels/reference/conv2d_dense_ref.cpp
  src/kernels/reference/conv2d_1xn_ref.cpp
  src/kernels/reference/conv_transpose2d_ref.cpp
  src/kernels/reference/gemm_ref.cpp
  src/kernels/reference/pool_ref.cpp
  src/kernels/pool_params.cpp
  src/kernels/pooling.cpp
  src/kernels/dense_gemm.cpp
  src/kernels/input_planes.cpp
  src/kernels/deinterleave.cpp
  src/kernels/spmm_tiles.cpp
  src/kernels/depthwise_conv.cpp
  src/kernels/sparse_conv.cpp
  src/kernels/sparse_conv_transpose.cpp
  src/kernels/conv_shapes.cpp
  src/kernels/vector_isa.cpp
)
list(TRANSFORM ONEXN_KERNELS_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)

# graph / runtime: importing and running ONNX models (onexn::runtime, with the kernels above).
set(ONEXN_RUNTIME_SOURCES
  src/graph/onnx_model.cpp
  src/graph/onnx_tensor.cpp
  src/graph/weighted_layers.cpp
  src/graph/file_io.cpp
  src/graph/ir.cpp
  src/graph/onnx_constant.cpp
  src/graph/onnx_node_order.cpp
  src/graph/onnx_import.cpp
  src/graph/passes/passes.cpp
  src/runtime/op_registry.cpp
  src/runtime/prepare.cpp
  src/runtime/conv_op.cpp
  src/runtime/conv/conv_attributes.cpp
  src/runtime/conv/conv_implementations.cpp
  src/runtime/conv/conv_choice.cpp
  src/runtime/conv/conv_dead_taps.cpp
  src/runtime/conv/conv_tuning_key.cpp
  src/runtime/tuning_host.cpp
  src/runtime/tuning_cache.cpp
  src/runtime/plan.cpp
  src/runtime/plan_cache.cpp
  src/runtime/session.cpp
  # runtime ops
  src/runtime/ops/op_util.cpp
  src/runtime/ops/op_broadcast.cpp
  src/runtime/ops/op_strided_copy.cpp
  src/runtime/ops/op_layout_ops.cpp
  src/runtime/ops/op_math.cpp
  src/runtime/ops/elementwise_ops.cpp
  src/runtime/ops/pooling_ops.cpp
  src/runtime/ops/tensor_ops.cpp
  src/runtime/ops/linear_ops.cpp
  src/runtime/ops/normalization_ops.cpp
  src/runtime/ops/op_binary.cpp
  src/runtime/ops/math_ops.cpp
  src/runtime/ops/logic_ops.cpp
  src/runtime/ops/op_resample.cpp
  src/runtime/ops/resize_ops.cpp
  src/runtime/ops/reduce_ops.cpp
  src/runtime/ops/index_ops.cpp
  src/runtime/ops/fill_ops.cpp
  src/runtime/ops/sample_norm_ops.cpp
  # tensors on disk
  src/graph/npy.cpp
  src/graph/tensor_pb_write.cpp
)
list(TRANSFORM ONEXN_RUNTIME_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)

# The oneDNN dense convolution (runtime entries "onednn", "onednn-nchw"; bench-layers' baseline).
set(ONEXN_ONEDNN_SOURCES
  src/kernels/dnnl_conv.cpp
)
list(TRANSFORM ONEXN_ONEDNN_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)

# Pruning whole models (onexn::prune): model pruning, graph-wide rearrangement, recipes.
set(ONEXN_PRUNE_SOURCES
  src/prune_model/model_pruning.cpp
  src/graph/channel_flow.cpp
  src/prune_model/rearrange_model.cpp
  src/graph/recipe.cpp
)
list(TRANSFORM ONEXN_PRUNE_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)

# Data sets read by onexn eval and by training (no LibTorch).
set(ONEXN_DATA_SOURCES
  src/data/fashion_mnist.cpp
)
list(TRANSFORM ONEXN_DATA_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)

set(ONEXN_CLI_SOURCES
  tools/onexn/main.cpp
  tools/onexn/cmd_inspect.cpp
  tools/onexn/cmd_prune.cpp
  tools/onexn/prune_report.cpp
  tools/onexn/layer_table.cpp
  tools/onexn/cmd_bench_layers.cpp
  tools/onexn/cmd_run.cpp
  tools/onexn/cmd_bench.cpp
  tools/onexn/model_inputs.cpp
  tools/onexn/mask_png.cpp
  tools/onexn/bitmap_font.cpp
  tools/onexn/png_file.cpp
  tools/onexn/cmd_eval.cpp
  tools/onexn/cli_main.cpp
  tools/onexn/train_forward.cpp
)
list(TRANSFORM ONEXN_CLI_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)

# onexn-train, the training executable `onexn train` runs (links LibTorch through onexn::train).
set(ONEXN_TRAIN_CLI_SOURCES
  tools/onexn/train_main.cpp
  tools/onexn/cmd_train.cpp
  tools/onexn/cli_main.cpp
)
list(TRANSFORM ONEXN_TRAIN_CLI_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)

# LibTorch training (onexn train): the only code that includes torch's headers.
set(ONEXN_TRAIN_SOURCES
  src/train/models.cpp
  src/train/pruning.cpp
  src/train/trainer.cpp
  # torch-free: ONNX export, batches, options, metrics
  src/train/export_onnx.cpp
  src/train/data.cpp
  src/train/train_options.cpp
  src/train/metrics.cpp
)
list(TRANSFORM ONEXN_TRAIN_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
