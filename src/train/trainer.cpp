// The training workflow: dense phase -> rearrangement and masks -> fine-tune with the masks
// fixed (or ramped, gradual schedule) -> evaluation, ONNX export and metrics. A checkpoint after
// every epoch holds everything a resumed run needs to continue exactly: model, optimizer, phase,
// epoch, masks, and the history so far; the data order and augmentation of an epoch are drawn
// from a generator seeded by (seed, phase, epoch), so they need no saved state.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onexn/mask.hpp"
#include "onexn/train.hpp"
#include "train/data.hpp"
#include "train/models.hpp"
#include "train/pruning.hpp"
#include "train/train_state.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;
using namespace onexn::train;
using Clock = std::chrono::steady_clock;

enum Phase : int { kDense = 0, kFinetune = 1, kDone = 2 };
const char* phase_name(int phase) { return phase == kDense ? "dense" : "finetune"; }

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class Trainer {
 public:
  Trainer(const TrainOptions& options, ProgressSink& sink) : o_(options), sink_(sink) {}
  TrainResult run();

 private:
  void prepare_output_dir() const;
  void load_checkpoint(const fs::path& path, bool dense_only);
  void save_checkpoint(const fs::path& path) const;
  void make_optimizer(double lr);
  void run_epoch(int phase, int epoch, int epochs);
  void start_finetune();
  void evaluate();
  void export_and_record();
  void add_seconds(const std::string& phase, double s);
  // Counts an epoch of this process; true when --stop-after says to stop now.
  bool stop_now();

  TrainOptions o_;
  ProgressSink& sink_;
  std::optional<Pattern> pattern_;
  double sparsity_ = 0;
  ImageSet train_, test_;
  std::shared_ptr<NetImpl> net_;
  std::unique_ptr<torch::optim::SGD> opt_;
  std::vector<MaskedLayer> masked_;
  double mask_sparsity_ = 0;  // the sparsity the current masks were taken at
  int phase_ = kDense;
  int epoch_ = 0;  // epochs completed in phase_
  int epochs_this_run_ = 0;
  TrainResult result_;
};

void Trainer::prepare_output_dir() const {
  std::error_code ec;
  fs::create_directories(o_.out_dir, ec);
  if (ec || !fs::is_directory(o_.out_dir)) {
    throw Error(fmt::format("cannot create output directory '{}': {}", o_.out_dir.string(),
                            ec ? ec.message() : "a file of that name exists"));
  }
  if (::access(o_.out_dir.c_str(), W_OK) != 0) {
    throw Error(fmt::format("output directory '{}' is not writable", o_.out_dir.string()));
  }
}

void Trainer::make_optimizer(double lr) {
  // Weight decay on conv and fc weights only, not on BatchNorm parameters and biases.
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : net_->named_parameters(/*recurse=*/true))
    (p.value().dim() > 1 ? decay : no_decay).push_back(p.value());
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(
      decay, std::make_unique<torch::optim::SGDOptions>(
                 torch::optim::SGDOptions(lr).momentum(o_.momentum).weight_decay(o_.weight_decay)));
  groups.emplace_back(no_decay,
                      std::make_unique<torch::optim::SGDOptions>(
                          torch::optim::SGDOptions(lr).momentum(o_.momentum).weight_decay(0)));
  opt_ = std::make_unique<torch::optim::SGD>(groups,
                                             torch::optim::SGDOptions(lr).momentum(o_.momentum));
}

void Trainer::save_checkpoint(const fs::path& path) const {
  torch::serialize::OutputArchive ar;
  torch::serialize::OutputArchive model_ar, opt_ar, masks_ar;
  net_->save(model_ar);
  ar.write("model", model_ar);
  if (opt_) {
    opt_->save(opt_ar);
    ar.write("optimizer", opt_ar);
  }
  for (size_t k = 0; k < masked_.size(); ++k)
    masks_ar.write(fmt::format("m{}", k), masked_[k].mask);
  ar.write("masks", masks_ar);
  ar.write("phase", torch::tensor(int64_t{phase_}));
  ar.write("epoch", torch::tensor(int64_t{epoch_}));
  ar.write("mask_sparsity", torch::tensor(mask_sparsity_, torch::kDouble));
  ar.write("state", c10::IValue(train_metrics_json(result_)));
  std::ostringstream bytes;
  ar.save_to(bytes);
  write_file_atomically(path, bytes.str());
}

// dense_only: --from, take the dense weights and history of a dense checkpoint.
void Trainer::load_checkpoint(const fs::path& path, bool dense_only) {
  if (!fs::exists(path)) {
    throw Error(fmt::format("{}: not found{}", path.string(),
                            dense_only ? "" : " (nothing to resume; run without --resume)"));
  }
  torch::serialize::InputArchive ar;
  torch::serialize::InputArchive model_ar;
  c10::IValue state;
  torch::Tensor phase, epoch;
  try {
    ar.load_from(path.string());
    ar.read("model", model_ar);
    ar.read("state", state);
    ar.read("phase", phase);
    ar.read("epoch", epoch);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: not an onexn training checkpoint ({})", path.string(),
                            std::string(e.what_without_backtrace())));
  }
  TrainResult saved = parse_train_metrics(state.toStringRef(), path.string());
  if (dense_only) {
    if (phase.item<int64_t>() != kDense) {
      throw InvalidArgument(
          fmt::format("--from {}: a checkpoint of the {} phase; --from takes a dense checkpoint "
                      "(DIR/dense.pt)",
                      path.string(), phase.item<int64_t>() == kFinetune ? "fine-tune" : "final"));
    }
    if (saved.options.model != o_.model || saved.options.width != o_.width) {
      throw InvalidArgument(fmt::format(
          "--from {}: holds a {} of width {}, this run trains a {} of width {}", path.string(),
          to_string(saved.options.model), saved.options.width, to_string(o_.model), o_.width));
    }
  } else {
    const std::string mismatch = resume_mismatch(saved.options, o_);
    if (!mismatch.empty())
      throw InvalidArgument(fmt::format("--resume {}: {}", path.string(), mismatch));
  }
  try {
    net_->load(model_ar);
  } catch (const c10::Error& e) {
    throw Error(fmt::format("{}: the model does not match ({})", path.string(),
                            std::string(e.what_without_backtrace())));
  }
  if (dense_only) {
    for (const EpochRecord& e : saved.epochs)
      if (e.phase == "dense") result_.epochs.push_back(e);
    for (const auto& [name, s] : saved.phase_seconds)
      if (name == "dense") result_.phase_seconds.emplace_back(name, s);
    result_.dense_from = path.string();
    return;
  }
  result_ = std::move(saved);
  result_.options = o_;
  result_.stopped = false;
  phase_ = static_cast<int>(phase.item<int64_t>());
  epoch_ = static_cast<int>(epoch.item<int64_t>());
  if (phase_ == kDense && epoch_ < o_.dense_epochs) {
    make_optimizer(o_.lr);
    torch::serialize::InputArchive opt_ar;
    ar.read("optimizer", opt_ar);
    opt_->load(opt_ar);
  } else if (phase_ == kFinetune || phase_ == kDone) {
    // The rearrangement happened before the checkpoint; the masks are restored, not recomputed.
    if (pattern_) masked_ = default_set_layers(*net_);
    torch::serialize::InputArchive masks_ar;
    ar.read("masks", masks_ar);
    for (size_t k = 0; k < masked_.size(); ++k)
      masks_ar.read(fmt::format("m{}", k), masked_[k].mask);
    torch::Tensor ms;
    ar.read("mask_sparsity", ms);
    mask_sparsity_ = ms.item<double>();
    for (MaskedLayer& m : masked_) {
      for (const LayerRecord& r : result_.layers) {
        if (r.name != m.name) continue;
        m.l1_kept_plain = r.l1_kept_plain.value_or(0);
        m.l1_kept_rearranged = r.l1_kept_rearranged.value_or(0);
      }
    }
    make_optimizer(o_.ft_lr);
    if (phase_ == kFinetune) {
      torch::serialize::InputArchive opt_ar;
      ar.read("optimizer", opt_ar);
      opt_->load(opt_ar);
    }
  }
}

void Trainer::add_seconds(const std::string& phase, double s) {
  for (auto& [name, total] : result_.phase_seconds) {
    if (name == phase) {
      total += s;
      return;
    }
  }
  result_.phase_seconds.emplace_back(phase, s);
}

bool Trainer::stop_now() {
  ++epochs_this_run_;
  return o_.stop_after > 0 && epochs_this_run_ >= o_.stop_after;
}

void Trainer::run_epoch(int phase, int epoch, int epochs) {
  const auto start = Clock::now();
  const int64_t n = train_.count;
  const int64_t batch = std::min(o_.batch, n);
  const int64_t steps = n / batch;  // the last incomplete batch is dropped
  const int64_t total_steps = steps * epochs;
  const bool finetune = phase == kFinetune;
  const double peak = finetune ? o_.ft_lr : o_.lr;
  const auto warmup = static_cast<int64_t>(
      std::llround((finetune ? o_.ft_warmup_epochs : o_.warmup_epochs) * steps));
  const bool gradual = finetune && pattern_ && o_.schedule == PruneSchedule::gradual;
  const int64_t ramp = total_steps * 2 / 3;

  std::mt19937_64 rng = epoch_rng(o_.seed, phase, epoch);
  const std::vector<int64_t> order = shuffled_order(n, rng);
  torch::Tensor images = torch::empty({batch, 1, train_.rows, train_.cols}, torch::kFloat);
  torch::Tensor labels = torch::empty({batch}, torch::kLong);
  net_->train();
  double loss_sum = 0, lr = peak;
  int64_t correct = 0, seen = 0;
  for (int64_t s = 0; s < steps; ++s) {
    const int64_t global = int64_t{epoch} * steps + s;
    fill_batch(train_, std::span(order).subspan(s * batch, batch), /*augment=*/true, rng,
               images.data_ptr<float>(), labels.data_ptr<int64_t>());
    lr = scheduled_lr(peak, global, warmup, total_steps);
    for (auto& group : opt_->param_groups())
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    if (gradual &&
        (global % o_.mask_every == 0 || (global >= ramp && mask_sparsity_ < sparsity_))) {
      mask_sparsity_ = gradual_sparsity(sparsity_, global, ramp);
      update_masks(masked_, *pattern_, mask_sparsity_);
    }
    opt_->zero_grad();
    const torch::Tensor logits =
        net_->forward(images.contiguous(torch::MemoryFormat::ChannelsLast));
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, labels);
    loss.backward();
    mask_gradients(masked_);
    opt_->step();
    apply_masks(masked_);

    loss_sum += loss.item<double>() * double(batch);
    correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
    seen += batch;
    const double elapsed = seconds_since(start);
    TrainProgress p;
    p.phase = phase_name(phase);
    p.epoch = epoch + 1, p.epochs = epochs;
    p.step = s + 1, p.steps = steps;
    p.loss = loss_sum / double(seen), p.accuracy = double(correct) / double(seen), p.lr = lr;
    p.images_per_s = double(seen) / std::max(elapsed, 1e-9);
    p.eta_seconds = elapsed / double(s + 1) * double(total_steps - global - 1);
    p.epoch_done = s + 1 == steps;
    sink_.progress(p);
  }
  EpochRecord rec;
  rec.phase = phase_name(phase);
  rec.epoch = epoch + 1;
  rec.loss = loss_sum / double(seen);
  rec.accuracy = double(correct) / double(seen);
  rec.lr = lr;
  rec.sparsity = finetune ? mask_sparsity_ : 0;
  rec.seconds = seconds_since(start);
  rec.images_per_s = double(seen) / std::max(rec.seconds, 1e-9);
  result_.epochs.push_back(rec);
  add_seconds(phase_name(phase), rec.seconds);
}

void Trainer::start_finetune() {
  const auto start = Clock::now();
  const RearrangeMode mode = parse_rearrange_mode(o_.rearrange);
  if (pattern_) {
    const double first = o_.schedule == PruneSchedule::gradual ? 0.0 : sparsity_;
    PruningSetup setup = prepare_pruning(*net_, *pattern_, sparsity_, mode, first);
    masked_ = std::move(setup.layers);
    mask_sparsity_ = first;
    result_.permuted_sets = setup.permuted_sets;
    // Recorded now so that a checkpoint of the fine-tune carries them.
    result_.layers.clear();
    for (const MaskedLayer& m : masked_) {
      LayerRecord rec;
      rec.name = m.name;
      rec.kind = m.kind;
      rec.shape = {m.shape.c_out, m.shape.c_in_per_group, m.shape.kh, m.shape.kw};
      rec.pruned = true;
      rec.l1_kept_plain = m.l1_kept_plain;
      rec.l1_kept_rearranged = m.l1_kept_rearranged;
      result_.layers.push_back(std::move(rec));
    }
    sink_.message(
        fmt::format("rearrangement {}: {} channel sets permuted; {} layers masked with {} at {}{}",
                    o_.rearrange, setup.permuted_sets, masked_.size(), pattern_->to_string(),
                    sparsity_, o_.schedule == PruneSchedule::gradual ? " (gradual, from 0)" : ""));
  }
  make_optimizer(o_.ft_lr);
  phase_ = kFinetune;
  epoch_ = 0;
  add_seconds("rearrange_masks", seconds_since(start));
}

void Trainer::evaluate() {
  const auto start = Clock::now();
  net_->eval();
  torch::NoGradGuard no_grad;
  const int64_t n = test_.count, batch = 500;
  std::vector<int64_t> indices(n);
  for (int64_t i = 0; i < n; ++i) indices[i] = i;
  std::vector<int64_t> hits(kFashionClasses, 0), counts(kFashionClasses, 0);
  std::mt19937_64 unused(0);
  for (int64_t at = 0; at < n; at += batch) {
    const int64_t b = std::min(batch, n - at);
    torch::Tensor images = torch::empty({b, 1, test_.rows, test_.cols}, torch::kFloat);
    torch::Tensor labels = torch::empty({b}, torch::kLong);
    fill_batch(test_, std::span(indices).subspan(at, b), /*augment=*/false, unused,
               images.data_ptr<float>(), labels.data_ptr<int64_t>());
    const torch::Tensor predicted =
        net_->forward(images.contiguous(torch::MemoryFormat::ChannelsLast)).argmax(1).contiguous();
    const int64_t* pred = predicted.data_ptr<int64_t>();
    const int64_t* label = labels.data_ptr<int64_t>();
    for (int64_t i = 0; i < b; ++i) {
      ++counts[label[i]];
      if (pred[i] == label[i]) ++hits[label[i]];
    }
  }
  int64_t total_hits = 0;
  result_.class_accuracy.assign(kFashionClasses, 0);
  for (int c = 0; c < kFashionClasses; ++c) {
    total_hits += hits[c];
    result_.class_accuracy[c] = counts[c] ? double(hits[c]) / double(counts[c]) : 0;
  }
  result_.test_images = n;
  result_.test_accuracy = n ? double(total_hits) / double(n) : 0;
  add_seconds("evaluate", seconds_since(start));
}

void Trainer::export_and_record() {
  const auto start = Clock::now();
  const NetGraph graph = describe_model(*net_);
  const OnnxModel model = to_onnx_model(graph, (o_.out_dir / "model.onnx").string());
  model.save(o_.out_dir / "model.onnx");
  to_onnx_model(fold_batch_norm(graph), "model-folded.onnx").save(o_.out_dir / "model-folded.onnx");
  result_.layers.clear();
  for (const WeightedLayer& layer : model.weighted_layers()) {
    LayerRecord rec;
    rec.name = layer.weight_tensor;
    rec.kind = to_string(layer.kind);
    rec.shape = {layer.shape.c_out, layer.shape.c_in_per_group, layer.shape.kh, layer.shape.kw};
    const std::vector<float> w = model.read_weights(layer);
    int64_t zeros = 0;
    for (float v : w) zeros += v == 0.0f;
    rec.sparsity = w.empty() ? 0 : double(zeros) / double(w.size());
    for (const MaskedLayer& m : masked_) {
      if (m.name != layer.weight_tensor) continue;
      rec.pruned = true;
      rec.l1_kept_plain = m.l1_kept_plain;
      rec.l1_kept_rearranged = m.l1_kept_rearranged;
    }
    result_.layers.push_back(std::move(rec));
  }
  add_seconds("export", seconds_since(start));
}

TrainResult Trainer::run() {
  validate_train_options(o_);
  if (!o_.from.empty()) o_.dense_epochs = 0;
  pattern_ = pruning_pattern(o_);
  sparsity_ = target_sparsity(o_);
  prepare_output_dir();
  torch::set_num_threads(o_.threads);
  torch::manual_seed(o_.seed);

  train_ = load_fashion_mnist(DataSplit::train, o_.train_limit, o_.data_dir);
  test_ = load_fashion_mnist(DataSplit::test, o_.test_limit, o_.data_dir);
  if (train_.count == 0) throw Error(fmt::format("{}: no training images", o_.data_dir.string()));
  sink_.message(fmt::format("{} (width {}): {} training images, {} test images, {} threads",
                            to_string(o_.model), o_.width, train_.count, test_.count, o_.threads));

  net_ = make_model(o_.model, o_.width);
  use_channels_last(*net_);
  result_.options = o_;
  result_.sparsity = sparsity_;
  result_.commit = source_commit();
  const fs::path checkpoint = o_.out_dir / "checkpoint.pt";
  if (o_.resume) {
    load_checkpoint(checkpoint, /*dense_only=*/false);
    sink_.message(fmt::format("resuming {} after epoch {} of the {} phase", checkpoint.string(),
                              epoch_, phase_ == kDone ? "final" : phase_name(phase_)));
  } else if (!o_.from.empty()) {
    load_checkpoint(o_.from, /*dense_only=*/true);
    sink_.message(fmt::format("dense weights from {}", o_.from.string()));
  }

  auto stop = [&] {
    result_.stopped = true;
    write_file_atomically(o_.out_dir / "metrics.json", train_metrics_json(result_));
    sink_.message(
        fmt::format("stopped after {} epochs in this run (--stop-after); continue with --resume",
                    epochs_this_run_));
    return result_;
  };

  if (phase_ == kDense) {
    if (!opt_) make_optimizer(o_.lr);
    while (epoch_ < o_.dense_epochs) {
      run_epoch(kDense, epoch_, o_.dense_epochs);
      ++epoch_;
      save_checkpoint(checkpoint);
      if (epoch_ == o_.dense_epochs) save_checkpoint(o_.out_dir / "dense.pt");
      if (stop_now() && (epoch_ < o_.dense_epochs || o_.epochs > 0)) return stop();
    }
    start_finetune();
  }
  if (phase_ == kFinetune) {
    while (epoch_ < o_.epochs) {
      run_epoch(kFinetune, epoch_, o_.epochs);
      ++epoch_;
      save_checkpoint(checkpoint);
      if (stop_now() && epoch_ < o_.epochs) return stop();
    }
    phase_ = kDone;
  }

  sink_.message(fmt::format("evaluating on {} test images", test_.count));
  evaluate();
  export_and_record();
  save_checkpoint(checkpoint);
  write_file_atomically(o_.out_dir / "metrics.json", train_metrics_json(result_));
  return result_;
}

}  // namespace

TrainResult train_model(const TrainOptions& options, ProgressSink& sink) {
  Trainer trainer(options, sink);
  try {
    return trainer.run();
  } catch (const c10::Error& e) {
    throw Error(fmt::format("LibTorch: {}", std::string(e.what_without_backtrace())));
  }
}

}  // namespace onexn
