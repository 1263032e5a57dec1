#include "kernels/dnnl_conv.hpp"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "onexn/error.hpp"

namespace onexn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct DnnlConv::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  ConvParams p;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory weights, bias;
  memory::desc src_nchw, dst_nchw;
  bool has_bias = false;
  bool reorder_src = false, reorder_dst = false;  // the primitive's layouts differ from NCHW
  // Byte offsets of run()'s scratch: blocked input, blocked output, oneDNN's scratchpad.
  size_t src_bytes = 0, dst_bytes = 0, pad_bytes = 0;
  // The benchmark's internal buffers (set_input / execute / get_output).
  memory src_own, dst_own, pad_own;
};

namespace {

void set_threads(int threads) {
  // oneDNN's OpenMP runtime uses omp_get_max_threads() of the calling thread.
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
}

size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

}  // namespace

DnnlConv::DnnlConv(const ConvParams& p, const float* w, const Epilogue& epi, Layout layout,
                   int threads)
    : impl_(std::make_unique<Impl>()) {
  p.validate();
  set_threads(threads);
  if (epi.residual) throw InvalidArgument("DnnlConv: residual epilogue is not supported");
  Impl& m = *impl_;
  m.p = p;
  try {
    m.src_nchw = memory::desc({p.batch, p.c_in, p.h, p.w}, dt::f32, tag::nchw);
    m.dst_nchw = memory::desc({p.batch, p.c_out, p.out_h(), p.out_w()}, dt::f32, tag::nchw);
    const tag act_tag = layout == Layout::best ? tag::any : tag::nchw;
    const memory::desc src_md({p.batch, p.c_in, p.h, p.w}, dt::f32, act_tag);
    const memory::desc dst_md({p.batch, p.c_out, p.out_h(), p.out_w()}, dt::f32, act_tag);
    memory::dims wdims = p.groups == 1
                             ? memory::dims{p.c_out, p.c_in, p.kh, p.kw}
                             : memory::dims{p.groups, p.c_out / p.groups, p.c_in / p.groups, p.kh, p.kw};
    const memory::desc w_any(wdims, dt::f32, tag::any);
    const memory::desc b_md({p.c_out}, dt::f32, tag::x);
    m.has_bias = epi.bias != nullptr;
    dnnl::post_ops ops;
    switch (epi.activation) {
      case Activation::none: break;
      case Activation::relu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f); break;
      case Activation::relu6: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, 0.0f, 6.0f); break;
      case Activation::clip:
        ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip, epi.clip_min, epi.clip_max);
        break;
      case Activation::hardswish: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_hardswish, 0.0f, 0.0f); break;
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    // run() passes a scratchpad per call, so that concurrent calls never share one.
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const memory::dims strides{p.stride_h, p.stride_w}, dil{p.dilation_h - 1, p.dilation_w - 1};
    const memory::dims pad_l{p.pad_top, p.pad_left}, pad_r{p.pad_bottom, p.pad_right};
    auto desc = m.has_bias
                    ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                      dnnl::algorithm::convolution_direct, src_md,
                                                      w_any, b_md, dst_md, strides, dil, pad_l, pad_r)
                    : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                      dnnl::algorithm::convolution_direct, src_md,
                                                      w_any, dst_md, strides, dil, pad_l, pad_r);
    m.pd = dnnl::convolution_forward::primitive_desc(desc, attr, m.engine);
    m.conv = dnnl::convolution_forward(m.pd);
    m.reorder_src = m.pd.src_desc() != m.src_nchw;
    m.reorder_dst = m.pd.dst_desc() != m.dst_nchw;
    m.src_bytes = m.reorder_src ? align64(m.pd.src_desc().get_size()) : 0;
    m.dst_bytes = m.reorder_dst ? align64(m.pd.dst_desc().get_size()) : 0;
    m.pad_bytes = align64(m.pd.scratchpad_desc().get_size());

    dnnl::stream stream(m.engine);
    m.weights = memory(m.pd.weights_desc(), m.engine);
    const memory::desc w_user_md(wdims, dt::f32, p.groups == 1 ? tag::oihw : tag::goihw);
    memory w_user(w_user_md, m.engine, const_cast<float*>(w));
    dnnl::reorder(w_user, m.weights).execute(stream, w_user, m.weights);
    if (m.has_bias) {
      m.bias = memory(b_md, m.engine);
      std::copy_n(epi.bias, p.c_out, static_cast<float*>(m.bias.get_data_handle()));
    }
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error("oneDNN convolution " + p.to_string() + ": " + e.what());
  }
}

DnnlConv::DnnlConv(DnnlConv&&) noexcept = default;
DnnlConv& DnnlConv::operator=(DnnlConv&&) noexcept = default;
DnnlConv::~DnnlConv() = default;

int64_t DnnlConv::scratch_floats() const {
  return static_cast<int64_t>((impl_->src_bytes + impl_->dst_bytes + impl_->pad_bytes) / sizeof(float));
}

void DnnlConv::run(const float* x, float* y, int threads, float* scratch) const {
  const Impl& m = *impl_;
  set_threads(threads);
  try {
    dnnl::stream stream(m.engine);
    auto* base = reinterpret_cast<char*>(scratch);
    memory x_user(m.src_nchw, m.engine, const_cast<float*>(x));
    memory y_user(m.dst_nchw, m.engine, y);
    memory src = m.reorder_src ? memory(m.pd.src_desc(), m.engine, base) : x_user;
    memory dst = m.reorder_dst ? memory(m.pd.dst_desc(), m.engine, base + m.src_bytes) : y_user;
    memory pad(m.pd.scratchpad_desc(), m.engine, base + m.src_bytes + m.dst_bytes);
    if (m.reorder_src) dnnl::reorder(x_user, src).execute(stream, x_user, src);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, m.weights},
                                         {DNNL_ARG_DST, dst}, {DNNL_ARG_SCRATCHPAD, pad}};
    if (m.has_bias) args[DNNL_ARG_BIAS] = m.bias;
    m.conv.execute(stream, args);
    if (m.reorder_dst) dnnl::reorder(dst, y_user).execute(stream, dst, y_user);
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error("oneDNN convolution " + m.p.to_string() + ": " + e.what());
  }
}

void DnnlConv::set_input(const float* x) {
  Impl& m = *impl_;
  dnnl::stream stream(m.engine);
  if (!m.src_own) {
    m.src_own = memory(m.pd.src_desc(), m.engine);
    m.dst_own = memory(m.pd.dst_desc(), m.engine);
    m.pad_own = memory(m.pd.scratchpad_desc(), m.engine);
  }
  memory x_user(m.src_nchw, m.engine, const_cast<float*>(x));
  dnnl::reorder(x_user, m.src_own).execute(stream, x_user, m.src_own);
  stream.wait();
}

void DnnlConv::execute(int threads) {
  Impl& m = *impl_;
  set_threads(threads);
  dnnl::stream stream(m.engine);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, m.src_own}, {DNNL_ARG_WEIGHTS, m.weights},
                                       {DNNL_ARG_DST, m.dst_own}, {DNNL_ARG_SCRATCHPAD, m.pad_own}};
  if (m.has_bias) args[DNNL_ARG_BIAS] = m.bias;
  m.conv.execute(stream, args);
  stream.wait();
}

void DnnlConv::get_output(float* y) {
  Impl& m = *impl_;
  dnnl::stream stream(m.engine);
  memory y_user(m.dst_nchw, m.engine, y);
  dnnl::reorder(m.dst_own, y_user).execute(stream, m.dst_own, y_user);
  stream.wait();
}

void DnnlConv::run(const float* x, float* y, int threads) {
  set_threads(threads);
  set_input(x);
  execute(threads);
  get_output(y);
}

std::string DnnlConv::implementation() const { return impl_->pd.impl_info_str(); }

}  // namespace onexn
