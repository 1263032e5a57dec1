#include "xnnpack_conv.hpp"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <string>

#include "onexn/error.hpp"

namespace onexn::bench {

struct XnnpackConv::Impl {
  ConvParams p;
  pthreadpool_t pool = nullptr;
  xnn_operator_t op = nullptr;
  const float* setup_x = nullptr;
  float* setup_y = nullptr;
  ~Impl() {
    if (op) xnn_delete_operator(op);
    if (pool) pthreadpool_destroy(pool);
  }
};

namespace {

void check(xnn_status status, const char* what, const ConvParams& p) {
  if (status != xnn_status_success) {
    throw Error(std::string("XNNPACK ") + what + " failed (status " + std::to_string(int(status)) +
                ") for " + p.to_string());
  }
}

}  // namespace

bool XnnpackConv::applies(const ConvParams& p) {
  return p.kh == 1 && p.kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.groups == 1 &&
         p.pad_top == 0 && p.pad_left == 0 && p.pad_bottom == 0 && p.pad_right == 0 &&
         p.dilation_h == 1 && p.dilation_w == 1;
}

XnnpackConv::XnnpackConv(const ConvParams& p, const float* w, const float* bias, float out_min,
                         float out_max, int threads)
    : impl_(std::make_unique<Impl>()) {
  if (!applies(p)) throw InvalidArgument("XNNPACK's sparse NCHW path does not cover " + p.to_string());
  check(xnn_initialize(nullptr), "initialize", p);
  impl_->p = p;
  impl_->pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
  check(xnn_create_convolution2d_nchw_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, p.c_in, p.c_out, p.c_in,
                                          p.c_out, w, bias, out_min, out_max, 0, &impl_->op),
        "create_convolution2d_nchw_f32", p);
}

XnnpackConv::XnnpackConv(XnnpackConv&&) noexcept = default;
XnnpackConv::~XnnpackConv() = default;

void XnnpackConv::run(const float* x, float* y) {
  Impl& m = *impl_;
  if (x != m.setup_x || y != m.setup_y) {
    check(xnn_setup_convolution2d_nchw_f32(m.op, m.p.batch, m.p.h, m.p.w, x, y, m.pool), "setup", m.p);
    m.setup_x = x;
    m.setup_y = y;
  }
  check(xnn_run_operator(m.op, m.pool), "run", m.p);
}

}  // namespace onexn::bench
