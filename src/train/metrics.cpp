// metrics.json: what a training run did and reached. The same document is kept in checkpoints
// (the run's history so far), so it is also read back here.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "onexn/error.hpp"
#include "train/train_state.hpp"

namespace onexn {

using nlohmann::ordered_json;

namespace {

ordered_json options_json(const TrainOptions& o) {
  ordered_json j;
  j["model"] = to_string(o.model);
  j["width"] = o.width;
  j["pattern"] = o.pattern;
  j["sparsity"] = train::target_sparsity(o);
  j["rearrange"] = o.rearrange;
  j["schedule"] = to_string(o.schedule);
  j["mask_every"] = o.mask_every;
  j["dense_epochs"] = o.dense_epochs;
  j["epochs"] = o.epochs;
  j["from"] = o.from.string();
  j["train_limit"] = o.train_limit;
  j["test_limit"] = o.test_limit;
  j["batch"] = o.batch;
  j["lr"] = o.lr;
  j["warmup_epochs"] = o.warmup_epochs;
  j["ft_lr"] = o.ft_lr;
  j["ft_warmup_epochs"] = o.ft_warmup_epochs;
  j["momentum"] = o.momentum;
  j["weight_decay"] = o.weight_decay;
  j["seed"] = o.seed;
  j["threads"] = o.threads;
  j["out"] = o.out_dir.string();
  j["data"] = o.data_dir.string();
  return j;
}

TrainOptions options_from_json(const ordered_json& j) {
  TrainOptions o;
  o.model = parse_train_model(j.at("model").get<std::string>());
  o.width = j.at("width").get<double>();
  o.pattern = j.at("pattern").get<std::string>();
  if (o.pattern != "dense") o.sparsity = j.at("sparsity").get<double>();
  o.rearrange = j.at("rearrange").get<std::string>();
  o.schedule = parse_prune_schedule(j.at("schedule").get<std::string>());
  o.mask_every = j.at("mask_every").get<int>();
  o.dense_epochs = j.at("dense_epochs").get<int>();
  o.epochs = j.at("epochs").get<int>();
  o.from = j.at("from").get<std::string>();
  o.train_limit = j.at("train_limit").get<int64_t>();
  o.test_limit = j.at("test_limit").get<int64_t>();
  o.batch = j.at("batch").get<int64_t>();
  o.lr = j.at("lr").get<double>();
  o.warmup_epochs = j.at("warmup_epochs").get<double>();
  o.ft_lr = j.at("ft_lr").get<double>();
  o.ft_warmup_epochs = j.at("ft_warmup_epochs").get<double>();
  o.momentum = j.at("momentum").get<double>();
  o.weight_decay = j.at("weight_decay").get<double>();
  o.seed = j.at("seed").get<uint64_t>();
  o.threads = j.at("threads").get<int>();
  o.out_dir = j.at("out").get<std::string>();
  o.data_dir = j.at("data").get<std::string>();
  return o;
}

template <typename T>
ordered_json optional_json(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

template <typename T>
std::optional<T> optional_from(const ordered_json& j) {
  if (j.is_null()) return std::nullopt;
  return j.get<T>();
}

}  // namespace

std::string train_metrics_json(const TrainResult& r) {
  ordered_json j;
  j["format"] = "onexn-train-metrics/1";
  j["options"] = options_json(r.options);
  ordered_json epochs = ordered_json::array();
  for (const EpochRecord& e : r.epochs) {
    epochs.push_back({{"phase", e.phase},
                      {"epoch", e.epoch},
                      {"loss", e.loss},
                      {"accuracy", e.accuracy},
                      {"lr", e.lr},
                      {"sparsity", e.sparsity},
                      {"seconds", e.seconds},
                      {"images_per_s", e.images_per_s}});
  }
  j["epochs"] = epochs;
  ordered_json classes = ordered_json::object();
  for (size_t c = 0; c < r.class_accuracy.size() && c < kFashionClassNames.size(); ++c) {
    classes[kFashionClassNames[c]] = r.class_accuracy[c];
  }
  j["test"] = {
      {"accuracy", r.test_accuracy}, {"images", r.test_images}, {"class_accuracy", classes}};
  ordered_json layers = ordered_json::array();
  for (const LayerRecord& l : r.layers) {
    layers.push_back({{"name", l.name},
                      {"kind", l.kind},
                      {"shape", l.shape},
                      {"pruned", l.pruned},
                      {"sparsity", l.sparsity},
                      {"l1_kept_plain", optional_json(l.l1_kept_plain)},
                      {"l1_kept_rearranged", optional_json(l.l1_kept_rearranged)}});
  }
  j["layers"] = layers;
  j["rearrangement"] = {{"mode", r.options.rearrange}, {"permuted_sets", r.permuted_sets}};
  ordered_json seconds = ordered_json::object();
  for (const auto& [phase, s] : r.phase_seconds) seconds[phase] = s;
  j["seconds"] = seconds;
  j["dense_from"] = r.dense_from;
  j["commit"] = r.commit.empty() ? ordered_json(nullptr) : ordered_json(r.commit);
  j["stopped"] = r.stopped;
  return j.dump(2) + "\n";
}

namespace train {

TrainResult parse_train_metrics(std::string_view text, const std::string& what) {
  try {
    const ordered_json j = ordered_json::parse(text);
    if (j.at("format") != "onexn-train-metrics/1")
      throw Error(fmt::format("{}: not onexn training metrics", what));
    TrainResult r;
    r.options = options_from_json(j.at("options"));
    r.sparsity = target_sparsity(r.options);
    for (const ordered_json& e : j.at("epochs")) {
      r.epochs.push_back({e.at("phase").get<std::string>(), e.at("epoch").get<int>(),
                          e.at("loss").get<double>(), e.at("accuracy").get<double>(),
                          e.at("lr").get<double>(), e.at("sparsity").get<double>(),
                          e.at("seconds").get<double>(), e.at("images_per_s").get<double>()});
    }
    const ordered_json& test = j.at("test");
    r.test_accuracy = test.at("accuracy").get<double>();
    r.test_images = test.at("images").get<int64_t>();
    for (const auto& [name, acc] : test.at("class_accuracy").items())
      r.class_accuracy.push_back(acc.get<double>());
    for (const ordered_json& l : j.at("layers")) {
      LayerRecord rec;
      rec.name = l.at("name").get<std::string>();
      rec.kind = l.at("kind").get<std::string>();
      rec.shape = l.at("shape").get<std::vector<int64_t>>();
      rec.pruned = l.at("pruned").get<bool>();
      rec.sparsity = l.at("sparsity").get<double>();
      rec.l1_kept_plain = optional_from<double>(l.at("l1_kept_plain"));
      rec.l1_kept_rearranged = optional_from<double>(l.at("l1_kept_rearranged"));
      r.layers.push_back(std::move(rec));
    }
    r.permuted_sets = j.at("rearrangement").at("permuted_sets").get<int>();
    for (const auto& [phase, s] : j.at("seconds").items())
      r.phase_seconds.emplace_back(phase, s.get<double>());
    r.dense_from = j.at("dense_from").get<std::string>();
    r.commit = j.at("commit").is_null() ? "" : j.at("commit").get<std::string>();
    r.stopped = j.at("stopped").get<bool>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: malformed training state: {}", what, e.what()));
  }
}

}  // namespace train
}  // namespace onexn
