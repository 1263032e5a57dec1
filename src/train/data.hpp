// Training batches from Fashion-MNIST, without LibTorch: the epoch's shuffled order and the
// augmented, normalized images. Every random choice comes from one generator per epoch seeded
// from (seed, phase, epoch), so a run resumed at an epoch boundary draws the same batches.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "onexn/fashion_mnist.hpp"

namespace onexn::train {

inline constexpr int kCropPadding = 2;  // random 28x28 crop of the image zero-padded by 2 pixels

// The generator of epoch `epoch` (0-based) of phase `phase` (0 dense, 1 fine-tune).
std::mt19937_64 epoch_rng(uint64_t seed, int phase, int epoch);

// A permutation of 0..n-1 (Fisher-Yates with the given generator).
std::vector<int64_t> shuffled_order(int64_t n, std::mt19937_64& rng);

// Writes the images `indices` of `set` as [count, 1, rows, cols] floats normalized with
// kFashionMean / kFashionStd into `images`, and their labels into `labels`. With `augment` each
// image is a random crop of the image padded with background (pixel value 0) by kCropPadding,
// mirrored left-right with probability 1/2.
void fill_batch(const ImageSet& set, std::span<const int64_t> indices, bool augment,
                std::mt19937_64& rng, float* images, int64_t* labels);

// Learning rate at `step` (0-based) of a phase of `total` steps: linear warm-up to `peak` over
// `warmup` steps ((step + 1) / warmup * peak), then cosine decay to 0 at the phase's end.
double scheduled_lr(double peak, int64_t step, int64_t warmup, int64_t total);

// The gradual schedule's sparsity at `step`: p (1 - (1 - step / ramp)^3), p from step >= ramp.
double gradual_sparsity(double p, int64_t step, int64_t ramp);

}  // namespace onexn::train
