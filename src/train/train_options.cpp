// Parsing and checking the trainer's options (no LibTorch here).
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <memory>

#include "onexn/error.hpp"
#include "onexn/rearrange_model.hpp"
#include "train/train_state.hpp"

namespace onexn {

TrainModel parse_train_model(const std::string& text) {
  if (text == "resnet20") return TrainModel::resnet20;
  if (text == "mobilenetv2") return TrainModel::mobilenetv2;
  throw InvalidArgument(fmt::format("unknown model '{}': expected resnet20 or mobilenetv2", text));
}

const char* to_string(TrainModel model) {
  return model == TrainModel::resnet20 ? "resnet20" : "mobilenetv2";
}

PruneSchedule parse_prune_schedule(const std::string& text) {
  if (text == "one-shot") return PruneSchedule::one_shot;
  if (text == "gradual") return PruneSchedule::gradual;
  throw InvalidArgument(fmt::format("unknown schedule '{}': expected one-shot or gradual", text));
}

const char* to_string(PruneSchedule schedule) {
  return schedule == PruneSchedule::one_shot ? "one-shot" : "gradual";
}

void validate_train_options(const TrainOptions& o) {
  if (!(o.width > 0 && o.width <= 8))
    throw InvalidArgument(fmt::format("--width {} is outside (0, 8]", o.width));
  train::target_sparsity(o);  // checks the pattern and the sparsity
  parse_rearrange_mode(o.rearrange);
  if (o.dense_epochs < 0)
    throw InvalidArgument(fmt::format("--dense-epochs {} is negative", o.dense_epochs));
  if (o.epochs < 0) throw InvalidArgument(fmt::format("--epochs {} is negative", o.epochs));
  if (o.batch < 1) throw InvalidArgument(fmt::format("--batch {} must be at least 1", o.batch));
  if (o.train_limit < 0 || o.test_limit < 0)
    throw InvalidArgument("--train-limit / --test-limit must not be negative");
  if (o.mask_every < 1)
    throw InvalidArgument(fmt::format("--mask-every {} must be at least 1", o.mask_every));
  if (o.threads < 1)
    throw InvalidArgument(fmt::format("--threads {} must be at least 1", o.threads));
  if (o.stop_after < 0)
    throw InvalidArgument(fmt::format("--stop-after {} is negative", o.stop_after));
  for (const auto& [name, v] : {std::pair{"--lr", o.lr}, {"--ft-lr", o.ft_lr}}) {
    if (!(v > 0 && std::isfinite(v)))
      throw InvalidArgument(fmt::format("{} {} must be positive", name, v));
  }
  for (const auto& [name, v] : {std::pair{"--warmup-epochs", o.warmup_epochs},
                                {"--ft-warmup-epochs", o.ft_warmup_epochs},
                                {"--momentum", o.momentum},
                                {"--weight-decay", o.weight_decay}}) {
    if (!(v >= 0 && std::isfinite(v)))
      throw InvalidArgument(fmt::format("{} {} must not be negative", name, v));
  }
  if (o.out_dir.empty()) throw InvalidArgument("--out is required");
}

namespace train {

std::optional<Pattern> pruning_pattern(const TrainOptions& options) {
  if (options.pattern == "dense") return std::nullopt;
  return Pattern::parse(options.pattern);
}

double target_sparsity(const TrainOptions& options) {
  const std::optional<Pattern> pattern = pruning_pattern(options);
  if (!pattern) {
    if (options.sparsity && *options.sparsity != 0) {
      throw InvalidArgument(
          fmt::format("--pattern dense prunes nothing; --sparsity {} makes no sense with it",
                      *options.sparsity));
    }
    return 0;
  }
  const double p = options.sparsity.value_or(pattern->implied_sparsity().value_or(0.5));
  pattern->check_sparsity(p);
  return p;
}

std::string resume_mismatch(const TrainOptions& saved, const TrainOptions& now) {
  auto str = [](double v) { return fmt::format("{}", v); };
  const std::array<std::array<std::string, 3>, 17> fields = {{
      {"--model", to_string(saved.model), to_string(now.model)},
      {"--width", str(saved.width), str(now.width)},
      {"--pattern", saved.pattern, now.pattern},
      {"--sparsity", str(target_sparsity(saved)), str(target_sparsity(now))},
      {"--rearrange", saved.rearrange, now.rearrange},
      {"--schedule", to_string(saved.schedule), to_string(now.schedule)},
      {"--mask-every", str(saved.mask_every), str(now.mask_every)},
      {"--dense-epochs", str(saved.dense_epochs), str(now.dense_epochs)},
      {"--epochs", str(saved.epochs), str(now.epochs)},
      {"--from", saved.from.string(), now.from.string()},
      {"--train-limit", str(double(saved.train_limit)), str(double(now.train_limit))},
      {"--batch", str(double(saved.batch)), str(double(now.batch))},
      {"--lr", str(saved.lr), str(now.lr)},
      {"--ft-lr", str(saved.ft_lr), str(now.ft_lr)},
      {"--warmup-epochs", str(saved.warmup_epochs) + "/" + str(saved.ft_warmup_epochs),
       str(now.warmup_epochs) + "/" + str(now.ft_warmup_epochs)},
      {"--seed", str(double(saved.seed)), str(double(now.seed))},
      {"--momentum/--weight-decay", str(saved.momentum) + "/" + str(saved.weight_decay),
       str(now.momentum) + "/" + str(now.weight_decay)},
  }};
  for (const auto& [name, a, b] : fields) {
    if (a != b)
      return fmt::format("option {}: the checkpoint has {}, this run {}", name,
                         a.empty() ? "none" : a, b.empty() ? "none" : b);
  }
  return {};
}

std::string source_commit() {
#ifdef ONEXN_TRAIN_SOURCE_DIR
  const std::string cmd = fmt::format(
      "git -C '{}' describe --always --dirty --abbrev=12 2>/dev/null", ONEXN_TRAIN_SOURCE_DIR);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return {};
  char buf[128] = {};
  std::string out;
  while (fgets(buf, sizeof buf, pipe.get())) out += buf;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
#else
  return {};
#endif
}

}  // namespace train
}  // namespace onexn
