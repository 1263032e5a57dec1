#include "kernels/sparse_conv.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <vector>

#include "kernels/input_planes.hpp"
#include "kernels/aligned_buffer.hpp"
#include "kernels/spmm_job.hpp"
#include "onexn/error.hpp"

namespace onexn {

struct SparseConv::Plan {
  ConvParams params;
  detail::InputPlanes planes;
  std::string pattern;  // "1x16" or "csr"
  int lane_stride = 1, max_rows = 1;
  std::vector<uint32_t> step_begin;
  std::vector<int32_t> offset, tail_offset, row0, rows;
  std::vector<float> weights;
  detail::SpmmTileInfo tile;
  int64_t tail_begin = INT64_MAX;  // direct layout: first flattened pixel read from staged columns
  int64_t q_chunk = INT64_MAX;     // pixels per L2-sized chunk of the input (see finish_plan)
  int64_t macs = 0;

  int64_t groups() const { return static_cast<int64_t>(rows.size()); }
  int64_t tiles() const { return (planes.q_count + tile.pixels() - 1) / tile.pixels(); }
  // Automatic: threads split the pixel tiles when there are plenty (every thread then does every
  // group, so the uneven kept-block counts of the groups cannot unbalance them); otherwise the groups.
  bool splits_pixels(int threads, WorkSplit split) const {
    if (split != WorkSplit::automatic) return split == WorkSplit::pixels;
    return tiles() >= 4 * threads || groups() < threads;
  }
  // Floats of one copy of the prepared input (planes plus a zero tile for the last reads past
  // them), or of the staged last columns for the direct layout.
  int64_t one_copy() const {
    if (planes.layout == detail::InputPlanes::Layout::direct) {
      return tail_begin == INT64_MAX ? 0 : params.c_in * tile.pixels();
    }
    return planes.prepared_floats(params.c_in) + tile.pixels();
  }
  // Every thread prepares its own copy of what it reads.
  int64_t workspace(int threads) const { return threads * one_copy(); }
};

namespace {

// Per-step input offsets for a step reading input channel `channel` at tap `tap`.
void add_step(SparseConv::Plan& plan, int64_t channel, int64_t tap) {
  plan.offset.push_back(static_cast<int32_t>(channel * plan.planes.channel_stride + plan.planes.tap_offset[tap]));
}

// Input bytes a chunk of pixels may span so that it stays in L2 while every group sweeps it.
constexpr int64_t kChunkBytes = 128 << 10;

// Picks the tile once the steps are known, then what depends on it.
void finish_plan(SparseConv::Plan& plan) {
  plan.tile = detail::spmm_tile_info(plan.max_rows, plan.planes.q_count,
                                     double(plan.offset.size()) / double(plan.rows.size()));
  const int64_t tile = plan.tile.pixels();
  // A chunk of Qc flattened pixels reads, per channel and phase, Qc floats plus the rows the taps
  // reach below them.
  const detail::InputPlanes& ip = plan.planes;
  const int64_t per_channel_planes = ip.channel_stride / ip.plane_floats;
  const int64_t reach = ip.tap_offset.back() % ip.plane_floats;
  int64_t budget = kChunkBytes;
  if (const char* kb = std::getenv("ONEXN_CHUNK_KB")) budget = std::atoll(kb) << 10;
  const int64_t floats = budget / int64_t{sizeof(float)} / (plan.params.c_in * per_channel_planes);
  plan.q_chunk = std::max(tile, (floats - reach) / tile * tile);
  if (plan.planes.layout == detail::InputPlanes::Layout::direct && plan.planes.q_count % tile != 0) {
    // The last tile reads staged copies of its columns, one tile-wide row per input channel.
    plan.tail_begin = plan.planes.q_count / tile * tile;
    for (int32_t off : plan.offset) {
      plan.tail_offset.push_back(static_cast<int32_t>(off / plan.planes.channel_stride * tile));
    }
  }
}

// Splits `total` items into `parts` contiguous ranges of nearly equal weight; cost(i) >= 0.
template <typename Cost>
std::vector<int64_t> balanced_split(int64_t total, int parts, Cost cost) {
  std::vector<double> prefix(total + 1, 0.0);
  for (int64_t i = 0; i < total; ++i) prefix[i + 1] = prefix[i] + cost(i);
  std::vector<int64_t> bounds(parts + 1, total);
  bounds[0] = 0;
  for (int k = 1; k < parts; ++k) {
    const double target = prefix[total] * k / parts;
    bounds[k] = std::lower_bound(prefix.begin(), prefix.end(), target) - prefix.begin();
    bounds[k] = std::clamp(bounds[k], bounds[k - 1], total);
  }
  return bounds;
}

// Chunks each thread's home range is cut into, so that a thread done with its own range can take
// what is left of another's (one vCPU of a shared host is at times much slower than the other).
constexpr int64_t kChunksPerRange = 8;

// The next unclaimed item of one thread's home range, on its own cache line.
struct alignas(64) RangeCursor {
  std::atomic<int64_t> next{0};
};

// Direct layout: copies the flattened pixels from tail_begin on of every channel into `dst`, one
// tile-wide, zero-padded row per channel, so the last tile reads no further than x's end.
void stage_tail(const SparseConv::Plan& plan, const float* x, float* dst) {
  const detail::InputPlanes& ip = plan.planes;
  const int64_t tile = plan.tile.pixels(), cols = ip.q_count - plan.tail_begin;
  for (int64_t c = 0; c < plan.params.c_in; ++c) {
    float* row = dst + c * tile;
    std::copy_n(x + c * ip.channel_stride + plan.tail_begin, cols, row);
    std::fill(row + cols, row + tile, 0.0f);
  }
}

}  // namespace

SparseConv::SparseConv(std::shared_ptr<const Plan> plan) : plan_(std::move(plan)) {}
SparseConv::SparseConv(const SparseConv&) = default;
SparseConv& SparseConv::operator=(const SparseConv&) = default;
SparseConv::SparseConv(SparseConv&&) noexcept = default;
SparseConv& SparseConv::operator=(SparseConv&&) noexcept = default;
SparseConv::~SparseConv() = default;

SparseConv SparseConv::from_1xn(const ConvParams& p, const Packed1xN& w) {
  if (!(w.shape == p.weight_shape())) {
    throw InvalidArgument("1x" + std::to_string(w.n) + " weights " + w.shape.to_string() +
                          " do not fit convolution " + p.to_string());
  }
  w.validate();
  auto plan = std::make_unique<Plan>();
  plan->params = p;
  plan->planes = detail::plan_input_planes(p);
  plan->pattern = "1x" + std::to_string(w.n);
  plan->lane_stride = w.n;
  plan->max_rows = w.n;
  const BlockGrid grid = w.grid();
  const int64_t taps = w.shape.taps(), cig = w.shape.c_in_per_group;
  plan->step_begin.push_back(0);
  for (int64_t g = 0; g < grid.num_out_groups(); ++g) {
    const int64_t conv_group = g / grid.groups_per_conv_group();
    plan->row0.push_back(static_cast<int32_t>(grid.first_row(g)));
    plan->rows.push_back(static_cast<int32_t>(grid.rows(g)));
    for (uint32_t b = w.block_begin[g]; b < w.block_begin[g + 1]; ++b)
      for (int64_t t = 0; t < taps; ++t) add_step(*plan, conv_group * cig + w.channel[b], t);
    plan->step_begin.push_back(static_cast<uint32_t>(plan->offset.size()));
  }
  plan->weights = w.values;  // already one step after another, N lanes each
  plan->macs = int64_t(plan->offset.size()) * w.n * p.out_h() * p.out_w();
  finish_plan(*plan);
  return SparseConv(std::move(plan));
}

SparseConv SparseConv::from_csr(const ConvParams& p, ConstWeightView w) {
  if (!(w.shape == p.weight_shape())) {
    throw InvalidArgument("weights " + w.shape.to_string() + " do not fit convolution " + p.to_string());
  }
  auto plan = std::make_unique<Plan>();
  plan->params = p;
  plan->planes = detail::plan_input_planes(p);
  plan->pattern = "csr";
  const int64_t taps = w.shape.taps(), cig = w.shape.c_in_per_group, cog = w.shape.c_out_per_group();
  plan->step_begin.push_back(0);
  for (int64_t o = 0; o < w.shape.c_out; ++o) {
    plan->row0.push_back(static_cast<int32_t>(o));
    plan->rows.push_back(1);
    for (int64_t c = 0; c < cig; ++c)
      for (int64_t t = 0; t < taps; ++t) {
        const float v = w.data[w.shape.index(o, c, 0, 0) + t];
        if (v == 0.0f) continue;
        add_step(*plan, (o / cog) * cig + c, t);
        plan->weights.push_back(v);
      }
    plan->step_begin.push_back(static_cast<uint32_t>(plan->offset.size()));
  }
  plan->macs = int64_t(plan->offset.size()) * p.out_h() * p.out_w();
  finish_plan(*plan);
  return SparseConv(std::move(plan));
}

void SparseConv::set_work_split(WorkSplit split) { split_ = split; }
WorkSplit SparseConv::work_split(int threads) const {
  return plan_->splits_pixels(std::max(1, threads), split_) ? WorkSplit::pixels : WorkSplit::groups;
}

int64_t SparseConv::workspace_floats(int threads) const { return plan_->workspace(std::max(1, threads)); }
const ConvParams& SparseConv::params() const { return plan_->params; }
int64_t SparseConv::macs_per_image() const { return plan_->macs; }

int64_t SparseConv::stored_values() const {
  return static_cast<int64_t>(plan_->weights.size() + plan_->offset.size() + plan_->step_begin.size() +
                              plan_->row0.size() + plan_->rows.size());
}

std::string SparseConv::kernel_name() const {
  static const char* layouts[] = {"direct", "padded", "phases"};
  static const char* splits[] = {"", ", split by pixels", ", split by groups"};
  return plan_->pattern + " " + plan_->tile.name() + " " + layouts[static_cast<int>(plan_->planes.layout)] +
         splits[static_cast<int>(split_)];
}

void SparseConv::run(const float* x, float* y, const Epilogue& epi, int threads) const {
  AlignedBuffer workspace(workspace_floats(threads));
  run(x, y, epi, threads, workspace.data());
}

void SparseConv::run(const float* x, float* y, const Epilogue& epi, int threads,
                     float* workspace) const {
  const Plan& plan = *plan_;
  const ConvParams& p = plan.params;
  const detail::InputPlanes& ip = plan.planes;
  threads = std::max(1, threads);
  const int64_t tile = plan.tile.pixels();
  const int64_t n_tiles = plan.tiles();
  const bool split_pixels = plan.splits_pixels(threads, split_);
  const std::vector<int64_t> bounds =
      split_pixels ? balanced_split(n_tiles, threads, [](int64_t) { return 1.0; })
                   : balanced_split(plan.groups(), threads, [&](int64_t g) {
                       // groups of equal cost: steps x row passes
                       const int64_t passes = (plan.rows[g] + plan.tile.rows - 1) / plan.tile.rows;
                       return double(plan.step_begin[g + 1] - plan.step_begin[g] + 1) * passes;
                     });

  detail::SpmmJob job;
  job.step_begin = plan.step_begin.data();
  job.offset = plan.offset.data();
  job.weights = plan.weights.data();
  job.row0 = plan.row0.data();
  job.rows = plan.rows.data();
  job.lane_stride = plan.lane_stride;
  job.max_rows = plan.max_rows;
  job.tile_rows = plan.tile.rows;
  job.vectors = plan.tile.vectors;
  job.q_chunk = plan.q_chunk;
  job.q_count = ip.q_count;
  job.row_stride = ip.row_stride;
  job.out_w = ip.out_w;
  job.out_plane = ip.out_h * ip.out_w;
  job.tail_begin = plan.tail_begin;
  job.tail_offset = plan.tail_offset.data();
  const bool direct = ip.layout == detail::InputPlanes::Layout::direct;
  const int64_t in_image = p.c_in * p.h * p.w, out_image = p.c_out * job.out_plane;
  // Input plane rows the taps of a pixel reach below its own row.
  const int64_t reach_rows = direct ? 0 : (ip.tap_offset.back() % ip.plane_floats) / ip.row_stride + 1;

  // `bounds` holds `threads` home ranges per image, each claimed chunk by chunk through its
  // cursor: a thread works through its own ranges first, then takes the remaining chunks of the
  // others. Which thread computes a chunk does not change its result. If OpenMP grants fewer
  // threads, each owns several ranges.
  std::unique_ptr<RangeCursor[]> cursor(new RangeCursor[p.batch * threads]);
  std::vector<int64_t> chunk(threads);
  for (int k = 0; k < threads; ++k) {
    // Alone, a thread takes its range at once; otherwise chunks of at least one L2-sized pixel
    // chunk (every chunk streams all the weights once).
    const int64_t range = bounds[k + 1] - bounds[k];
    chunk[k] = threads == 1 ? std::max<int64_t>(1, range)
                            : std::max({int64_t{1}, (range + kChunksPerRange - 1) / kChunksPerRange,
                                        split_pixels ? plan.q_chunk / tile : 0});
    for (int64_t n = 0; n < p.batch; ++n) cursor[n * threads + k].next.store(bounds[k], std::memory_order_relaxed);
  }

#pragma omp parallel num_threads(threads)
  {
    // This thread's own copy of the prepared input, filled as it claims chunks: the rows a
    // chunk's pixels read when splitting pixels, all of it when splitting groups. No thread waits
    // for another or reads what another wrote (when the threads shared one copy, the coherence
    // misses on the lines one wrote and the other read cost more than the copy saved).
    float* own = workspace + omp_get_thread_num() * plan.one_copy();
    if (!direct) std::fill_n(own + ip.prepared_floats(p.c_in), tile, 0.0f);
    for (int64_t n = 0; n < p.batch; ++n) {
      const float* xn = x + n * in_image;
      detail::SpmmJob mine = job;
      mine.planes = direct ? xn : own;
      mine.tail_planes = own;
      mine.y = y + n * out_image;
      mine.epilogue = epi;
      if (epi.residual) mine.epilogue.residual = epi.residual + n * out_image;
      RangeCursor* image_cursor = cursor.get() + n * threads;
      int64_t ready_begin = 0, ready_end = 0;  // rows of this image prepared in `own`
      bool tail_ready = false;
      for (int i = 0; i < threads; ++i) {
        const int k = (omp_get_thread_num() + i) % threads;  // own range first, then the others'
        for (;;) {
          const int64_t b = image_cursor[k].next.fetch_add(chunk[k], std::memory_order_relaxed);
          if (b >= bounds[k + 1]) break;
          const int64_t e = std::min(b + chunk[k], bounds[k + 1]);
          // The chunk's pixels: tiles [b, e) of all groups, or all pixels of groups [b, e).
          const int64_t q0 = split_pixels ? b * tile : 0;
          const int64_t q_end = split_pixels ? e * tile : n_tiles * tile;  // with the last lanes
          if (direct) {
            if (!tail_ready && q_end > plan.tail_begin) {
              stage_tail(plan, xn, own);
              tail_ready = true;
            }
          } else {
            // Rows these pixels read, down to the taps' reach below the last lane. In its own
            // range a thread prepares the rows of the whole range at once: filling row by row for
            // small chunks costs twice as much as one pass (per-channel overhead).
            const int64_t fill_end = split_pixels && i == 0 ? bounds[k + 1] * tile : q_end;
            const int64_t r0 = q0 / ip.row_stride;
            const int64_t r1 = std::min(ip.rows, (fill_end - 1) / ip.row_stride + reach_rows + 1);
            if (r0 < ready_begin || r0 > ready_end) ready_begin = ready_end = r0;
            if (r1 > ready_end) {
              detail::fill_input_planes(ip, p, xn, 0, p.c_in, ready_end, r1, own);
              ready_end = r1;
            }
          }
          if (split_pixels) {
            detail::spmm_run(mine, 0, plan.groups(), q0, std::min(q_end, ip.q_count));
          } else {
            detail::spmm_run(mine, b, e, 0, ip.q_count);
          }
        }
      }
    }
  }
}

}  // namespace onexn
