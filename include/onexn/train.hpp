// Training 1xN-pruned CNNs on Fashion-MNIST with LibTorch: train dense, rearrange filters (the
// same graph-wide permutation as `onexn prune`), take the masks, fine-tune with the masks fixed.
// This header is free of LibTorch; the CLI and other callers use it without torch's headers.
// The workflow, options and files are described in docs/training.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "onexn/fashion_mnist.hpp"

namespace onexn {

enum class TrainModel { resnet20, mobilenetv2 };
TrainModel parse_train_model(const std::string& text);  // throws InvalidArgument
const char* to_string(TrainModel model);

// one_shot: masks taken once after the dense phase and kept fixed. gradual: the sparsity ramps
// along p_t = p (1 - (1 - t/T)^3) over the first T = 2/3 of the fine-tune's steps, masks
// recomputed every `mask_every` steps, then fixed at p for the last third.
enum class PruneSchedule { one_shot, gradual };
PruneSchedule parse_prune_schedule(const std::string& text);  // throws InvalidArgument
const char* to_string(PruneSchedule schedule);

struct TrainOptions {
  TrainModel model = TrainModel::resnet20;
  double width = 1.0;               // channel multiplier
  std::string pattern = "1x4";      // a Pattern (pattern.hpp) or "dense": fine-tune without pruning
  std::optional<double> sparsity;   // default 0.5, or what an N:M pattern fixes
  std::string rearrange = "graph";  // graph | paper | none
  PruneSchedule schedule = PruneSchedule::one_shot;
  int mask_every = 100;  // gradual: steps between mask updates

  int dense_epochs = 30;
  int epochs = 10;             // fine-tune epochs
  std::filesystem::path from;  // a dense checkpoint (DIR/dense.pt): skips the dense phase
  int64_t train_limit = 0;     // > 0: only the first K training images
  int64_t test_limit = 0;      // > 0: only the first K test images in the final evaluation
  int64_t batch = 128;
  double lr = 0.1;              // dense phase peak learning rate
  double warmup_epochs = 1;     // dense phase linear warm-up
  double ft_lr = 0.01;          // fine-tune peak learning rate
  double ft_warmup_epochs = 0;  // fine-tune linear warm-up
  double momentum = 0.9;
  double weight_decay = 5e-4;  // not applied to BatchNorm parameters and biases
  uint64_t seed = 1;
  int threads = 1;
  bool resume = false;  // continue from out_dir/checkpoint.pt
  int stop_after = 0;   // > 0: stop after this many epochs in this run (continue with resume)
  std::filesystem::path out_dir;
  std::filesystem::path data_dir = fashion_mnist_dir();
};

// Checks the options without touching files or data: model, width, pattern / sparsity,
// rearrange mode, epochs, batch, learning rates. Throws InvalidArgument naming the option.
void validate_train_options(const TrainOptions& options);

struct EpochRecord {
  std::string phase;    // "dense" or "finetune"
  int epoch = 0;        // 1-based within the phase
  double loss = 0;      // mean training loss
  double accuracy = 0;  // training accuracy (augmented images, train-mode BatchNorm)
  double lr = 0;        // learning rate at the epoch's last step
  double sparsity = 0;  // target sparsity at the epoch's end (gradual schedule ramps it)
  double seconds = 0;
  double images_per_s = 0;
};

struct LayerRecord {
  std::string name;            // the weight tensor (= the LibTorch parameter name)
  std::string kind;            // LayerKind as text
  std::vector<int64_t> shape;  // OIHW
  bool pruned = false;
  double sparsity = 0;                       // share of zero weights in the final model
  std::optional<double> l1_kept_plain;       // share of L1 mass the mask keeps without
  std::optional<double> l1_kept_rearranged;  // and with rearrangement (at mask time)
};

struct TrainResult {
  TrainOptions options;
  double sparsity = 0;  // the resolved target sparsity
  std::vector<EpochRecord> epochs;
  std::vector<LayerRecord> layers;
  int permuted_sets = 0;     // channel sets the rearrangement permuted
  double test_accuracy = 0;  // LibTorch, eval mode, over the (limited) test set
  int64_t test_images = 0;
  std::vector<double> class_accuracy;  // per class, kFashionClasses entries
  // Wall time per phase in seconds: dense, rearrange_masks, finetune, evaluate, export.
  std::vector<std::pair<std::string, double>> phase_seconds;
  std::string dense_from;  // the checkpoint the dense weights came from, when --from was used
  std::string commit;      // the source checkout's commit, when known
  bool stopped = false;    // stop_after ended the run before the fine-tune finished
};

// One progress report: during an epoch every few steps, and once at its end.
struct TrainProgress {
  std::string phase;
  int epoch = 0, epochs = 0;
  int64_t step = 0, steps = 0;  // within the epoch
  double loss = 0, accuracy = 0, lr = 0;
  double images_per_s = 0;
  double eta_seconds = 0;  // for the rest of the phase
  bool epoch_done = false;
};

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void progress(const TrainProgress& p) = 0;
  virtual void message(const std::string& line) = 0;  // one finished line ("evaluating ...")
};

// Runs the whole workflow and writes out_dir: checkpoint.pt (every epoch), dense.pt (after the
// dense phase), model.onnx (BatchNorm kept), model-folded.onnx (BatchNorm folded into the convs)
// and metrics.json. Throws InvalidArgument for bad options and Error for missing data, an
// unwritable directory or an unreadable / mismatched checkpoint.
TrainResult train_model(const TrainOptions& options, ProgressSink& sink);

// metrics.json: the options, per-epoch records, the final test accuracy, per-layer sparsity and
// kept L1, wall times, the commit.
std::string train_metrics_json(const TrainResult& result);

}  // namespace onexn
