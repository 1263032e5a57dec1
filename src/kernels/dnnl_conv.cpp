#include "onexn/dnnl_conv.hpp"

#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "onexn/error.hpp"

namespace onexn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct DnnlConv::Impl {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  ConvParams p;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory src, weights, bias, dst;
  memory src_user, dst_user;  // NCHW views over caller memory, set per call
  bool has_bias = false;
};

namespace {

memory::dims nchw_dims(int64_t n, int64_t c, int64_t h, int64_t w) { return {n, c, h, w}; }

void set_threads(int threads) {
  // oneDNN's OpenMP runtime uses omp_get_max_threads() of the calling thread.
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
}

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
    const tag act_tag = layout == Layout::best ? tag::any : tag::nchw;
    const memory::desc src_md(nchw_dims(p.batch, p.c_in, p.h, p.w), dt::f32, act_tag);
    const memory::desc dst_md(nchw_dims(p.batch, p.c_out, p.out_h(), p.out_w()), dt::f32, act_tag);
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
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
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
    m.src = memory(m.pd.src_desc(), m.engine);
    m.dst = memory(m.pd.dst_desc(), m.engine);
    m.weights = memory(m.pd.weights_desc(), m.engine);
    const memory::desc w_user_md(wdims, dt::f32, p.groups == 1 ? tag::oihw : tag::goihw);
    memory w_user(w_user_md, m.engine, const_cast<float*>(w));
    dnnl::reorder(w_user, m.weights).execute(m.stream, w_user, m.weights);
    if (m.has_bias) {
      m.bias = memory(b_md, m.engine);
      std::copy_n(epi.bias, p.c_out, static_cast<float*>(m.bias.get_data_handle()));
    }
    m.src_user = memory(memory::desc(nchw_dims(p.batch, p.c_in, p.h, p.w), dt::f32, tag::nchw), m.engine,
                        nullptr);
    m.dst_user = memory(memory::desc(nchw_dims(p.batch, p.c_out, p.out_h(), p.out_w()), dt::f32, tag::nchw),
                        m.engine, nullptr);
    m.stream.wait();
  } catch (const dnnl::error& e) {
    throw Error("oneDNN convolution " + p.to_string() + ": " + e.what());
  }
}

DnnlConv::DnnlConv(DnnlConv&&) noexcept = default;
DnnlConv& DnnlConv::operator=(DnnlConv&&) noexcept = default;
DnnlConv::~DnnlConv() = default;

void DnnlConv::set_input(const float* x) {
  Impl& m = *impl_;
  m.src_user.set_data_handle(const_cast<float*>(x));
  dnnl::reorder(m.src_user, m.src).execute(m.stream, m.src_user, m.src);
  m.stream.wait();
}

void DnnlConv::execute(int threads) {
  Impl& m = *impl_;
  set_threads(threads);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, m.src}, {DNNL_ARG_WEIGHTS, m.weights},
                                       {DNNL_ARG_DST, m.dst}};
  if (m.has_bias) args[DNNL_ARG_BIAS] = m.bias;
  m.conv.execute(m.stream, args);
  m.stream.wait();
}

void DnnlConv::get_output(float* y) {
  Impl& m = *impl_;
  m.dst_user.set_data_handle(y);
  dnnl::reorder(m.dst, m.dst_user).execute(m.stream, m.dst, m.dst_user);
  m.stream.wait();
}

void DnnlConv::run(const float* x, float* y, int threads) {
  set_threads(threads);
  set_input(x);
  execute(threads);
  get_output(y);
}

std::string DnnlConv::implementation() const { return impl_->pd.impl_info_str(); }

}  // namespace onexn
