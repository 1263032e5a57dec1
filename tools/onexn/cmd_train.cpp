// onexn train --model resnet20|mobilenetv2 --pattern 1x4 --sparsity 0.5 [--rearrange
// graph|paper|none]
//             [--dense-epochs D] [--epochs E] [--from CHECKPOINT] [--train-limit K] [--schedule
//             one-shot|gradual]
//             [--width W] [--seed S] [--threads T] [--resume] --out DIR
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "onexn/error.hpp"
#include "onexn/train.hpp"

namespace onexn::cli {
namespace {

std::string duration_text(double s) {
  const auto total = static_cast<int64_t>(s + 0.5);
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, total / 60 % 60);
  return fmt::format("{}m{:02}s", total / 60, total % 60);
}

// On a terminal: one line redrawn with \r at most ~8 times a second, ended at each epoch's end.
// Otherwise: one plain line per epoch.
class ConsoleProgress : public ProgressSink {
 public:
  explicit ConsoleProgress(bool tty) : tty_(tty) {}

  void progress(const TrainProgress& p) override {
    const auto now = std::chrono::steady_clock::now();
    if (!p.epoch_done && (!tty_ || now - last_ < std::chrono::milliseconds(120))) return;
    last_ = now;
    const std::string line = fmt::format(
        "{:<8} epoch {:>3}/{:<3} {} loss {:.4f}  acc {:6.2f}%  lr {:.5f}  {:6.0f} img/s  ETA {}",
        p.phase, p.epoch, p.epochs, bar(double(p.step) / double(p.steps)), p.loss, 100 * p.accuracy,
        p.lr, p.images_per_s, duration_text(p.eta_seconds));
    if (tty_) {
      std::cout << '\r' << line << "\x1b[K" << (p.epoch_done ? "\n" : "") << std::flush;
      open_line_ = !p.epoch_done;
    } else {
      std::cout << line << '\n' << std::flush;
    }
  }

  void message(const std::string& line) override {
    if (open_line_) std::cout << '\n';
    open_line_ = false;
    std::cout << line << '\n' << std::flush;
  }

 private:
  static std::string bar(double done) {
    constexpr int kWidth = 20;
    const int filled = static_cast<int>(done * kWidth + 1e-9);
    return "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
  }

  bool tty_;
  bool open_line_ = false;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

Command add_train_command(CLI::App& app) {
  struct Options {
    std::string model = "resnet20", schedule = "one-shot", out, from;
    TrainOptions train;
  };
  auto opt = std::make_shared<Options>();
  TrainOptions& t = opt->train;
  CLI::App* sub = app.add_subcommand("train",
                                     "Train a CNN on Fashion-MNIST with LibTorch: dense, "
                                     "rearrange, 1xN masks, fine-tune (docs/training.md)");
  sub->add_option("--model", opt->model, "resnet20 or mobilenetv2")->capture_default_str();
  sub->add_option(
         "--pattern", t.pattern,
         "1xN (N in 1,2,4,8,16,32), balanced-1xN, unstructured, filter, N:M, or dense (no pruning)")
      ->capture_default_str();
  sub->add_option("--sparsity", t.sparsity,
                  "share of each pruned layer's blocks / weights / filters to zero (default 0.5)");
  sub->add_option("--rearrange", t.rearrange,
                  "filter rearrangement before the masks: graph, paper or none")
      ->capture_default_str();
  sub->add_option("--schedule", opt->schedule,
                  "one-shot (masks fixed after the dense phase) or gradual (cubic ramp over 2/3 of "
                  "the fine-tune)")
      ->capture_default_str();
  sub->add_option("--mask-every", t.mask_every, "gradual: steps between mask updates")
      ->capture_default_str();
  sub->add_option("--dense-epochs", t.dense_epochs, "epochs of the dense phase")
      ->capture_default_str();
  sub->add_option("--epochs", t.epochs, "epochs of the fine-tune with masks")
      ->capture_default_str();
  sub->add_option("--from", opt->from,
                  "start from this dense checkpoint (DIR/dense.pt of a run), no dense phase");
  sub->add_option("--train-limit", t.train_limit,
                  "use only the first K training images (0: all 60,000)");
  sub->add_option("--test-limit", t.test_limit,
                  "evaluate on the first K test images only (0: all 10,000)");
  sub->add_option("--width", t.width, "channel width multiplier")->capture_default_str();
  sub->add_option("--batch", t.batch, "batch size")->capture_default_str();
  sub->add_option("--lr", t.lr, "peak learning rate of the dense phase")->capture_default_str();
  sub->add_option("--warmup-epochs", t.warmup_epochs,
                  "linear warm-up of the dense phase, in epochs")
      ->capture_default_str();
  sub->add_option("--ft-lr", t.ft_lr, "peak learning rate of the fine-tune")->capture_default_str();
  sub->add_option("--ft-warmup-epochs", t.ft_warmup_epochs,
                  "linear warm-up of the fine-tune, in epochs")
      ->capture_default_str();
  sub->add_option("--weight-decay", t.weight_decay,
                  "weight decay (not on BatchNorm parameters and biases)")
      ->capture_default_str();
  sub->add_option("--seed", t.seed,
                  "seed of the initial weights, the data order and the augmentation")
      ->capture_default_str();
  sub->add_option("--threads", t.threads, "LibTorch threads")->capture_default_str();
  sub->add_flag("--resume", t.resume,
                "continue from DIR/checkpoint.pt (give the same options as the first run)");
  sub->add_option("--stop-after", t.stop_after,
                  "stop after this many epochs (continue later with --resume)");
  sub->add_option("--out", opt->out,
                  "output directory: checkpoints, model.onnx, model-folded.onnx, metrics.json")
      ->required();
  return {sub, [opt] {
            TrainOptions o = opt->train;
            o.model = parse_train_model(opt->model);
            o.schedule = parse_prune_schedule(opt->schedule);
            o.out_dir = opt->out;
            o.from = opt->from;
            validate_train_options(o);
            ConsoleProgress sink(::isatty(STDOUT_FILENO) != 0);
            const auto start = std::chrono::steady_clock::now();
            const TrainResult r = train_model(o, sink);
            if (r.stopped) return 0;
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::cout << fmt::format(
                "test accuracy {:.2f}% ({} images, LibTorch); wrote {}/model.onnx, "
                "model-folded.onnx, metrics.json in {}\n",
                100 * r.test_accuracy, r.test_images, o.out_dir.string(), duration_text(seconds));
            return 0;
          }};
}

}  // namespace onexn::cli
