// Float buffers aligned to 64 bytes (a cache line, an AVX-512 vector). The sparse kernels store
// whole vectors of output pixels; when a buffer starts mid-line, as std::vector's large blocks
// do (16 bytes past a page), every such store touches two cache lines.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <span>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace onexn {

class AlignedBuffer {
 public:
  static constexpr size_t kAlignment = 64;

  AlignedBuffer() = default;
  // `count` floats, zeroed.
  explicit AlignedBuffer(int64_t count) : size_(count > 0 ? static_cast<size_t>(count) : 0) {
    const size_t bytes = (std::max<size_t>(size_, 1) * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
    data_.reset(static_cast<float*>(std::aligned_alloc(kAlignment, bytes)));
    if (!data_) throw std::bad_alloc();
    std::fill_n(data_.get(), bytes / sizeof(float), 0.0f);
#if defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer the rounding up is out of bounds: a kernel reading past `count`
    // floats (the sparse kernels' slack must be part of `count`) is then reported, not hidden.
    ASAN_POISON_MEMORY_REGION(data_.get() + size_, bytes - size_ * sizeof(float));
#endif
  }

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  size_t size() const { return size_; }
  float& operator[](size_t i) { return data_.get()[i]; }
  const float& operator[](size_t i) const { return data_.get()[i]; }
  std::span<float> span() { return {data_.get(), size_}; }
  std::span<const float> span() const { return {data_.get(), size_}; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  size_t size_ = 0;
};

}  // namespace onexn
