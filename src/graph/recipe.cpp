#include "onexn/recipe.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"

namespace onexn {
namespace {

using nlohmann::json;

class Reader {
 public:
  Reader(std::string_view what) : what_(what) {}

  [[noreturn]] void fail(const std::string& where, const std::string& msg) const {
    throw InvalidArgument(fmt::format("{}: {}: {}", what_, where, msg));
  }

  void check_fields(const json& obj, const std::set<std::string>& known, const std::string& where) const {
    if (!obj.is_object()) fail(where, "expected a JSON object");
    for (const auto& [key, value] : obj.items()) {
      if (!known.count(key)) {
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        fail(where, fmt::format("unknown field '{}' (known: {})", key, list));
      }
    }
  }

  std::optional<std::string> string(const json& obj, const char* key, const std::string& where) const {
    if (!obj.contains(key)) return std::nullopt;
    if (!obj[key].is_string()) fail(where, fmt::format("'{}' must be a string", key));
    return obj[key].get<std::string>();
  }

  std::optional<bool> boolean(const json& obj, const char* key, const std::string& where) const {
    if (!obj.contains(key)) return std::nullopt;
    if (!obj[key].is_boolean()) fail(where, fmt::format("'{}' must be true or false", key));
    return obj[key].get<bool>();
  }

  std::optional<double> sparsity(const json& obj, const std::string& where) const {
    if (!obj.contains("sparsity")) return std::nullopt;
    if (!obj["sparsity"].is_number()) fail(where, "'sparsity' must be a number");
    const double p = obj["sparsity"].get<double>();
    if (!(p >= 0.0 && p < 1.0)) fail(where, fmt::format("'sparsity' {} is outside [0, 1)", p));
    return p;
  }

  std::optional<Pattern> pattern(const json& obj, const std::string& where) const {
    const auto text = string(obj, "pattern", where);
    if (!text) return std::nullopt;
    try {
      return Pattern::parse(*text);
    } catch (const InvalidArgument& e) {
      fail(where, e.what());
    }
  }

 private:
  std::string what_;
};

}  // namespace

Recipe parse_recipe(std::string_view text, std::string_view what) {
  const Reader r(what);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw InvalidArgument(fmt::format("{}: not valid JSON: {}", what, e.what()));
  }
  const std::string top = "top level";
  r.check_fields(doc, {"pattern", "sparsity", "full", "global", "rearrange", "include", "exclude", "rules"}, top);
  Recipe recipe;
  recipe.pattern = r.pattern(doc, top);
  recipe.sparsity = r.sparsity(doc, top);
  recipe.full = r.boolean(doc, "full", top);
  recipe.global_ranking = r.boolean(doc, "global", top);
  if (const auto mode = r.string(doc, "rearrange", top)) {
    try {
      recipe.rearrange = parse_rearrange_mode(*mode);
    } catch (const InvalidArgument& e) {
      r.fail(top, e.what());
    }
  }
  recipe.include = r.string(doc, "include", top);
  recipe.exclude = r.string(doc, "exclude", top);
  if (doc.contains("rules")) {
    if (!doc["rules"].is_array()) r.fail(top, "'rules' must be an array of objects");
    for (size_t k = 0; k < doc["rules"].size(); ++k) {
      const json& rule = doc["rules"][k];
      const std::string where = fmt::format("rules[{}]", k);
      r.check_fields(rule, {"match", "pattern", "sparsity", "skip"}, where);
      LayerRule out;
      const auto match = r.string(rule, "match", where);
      if (!match || match->empty()) r.fail(where, "needs a non-empty 'match' regex");
      out.match = *match;
      out.pattern = r.pattern(rule, where);
      out.sparsity = r.sparsity(rule, where);
      out.skip = r.boolean(rule, "skip", where).value_or(false);
      if (!out.skip && !out.pattern && !out.sparsity) {
        r.fail(where, "sets nothing: give 'pattern', 'sparsity' or \"skip\": true");
      }
      recipe.rules.push_back(std::move(out));
    }
  }
  return recipe;
}

Recipe load_recipe(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return parse_recipe(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                      path.string());
}

PruneOptions resolve_prune_options(const Recipe& recipe, const PruneOptionOverrides& cli) {
  PruneOptions o;
  o.pattern = cli.pattern.value_or(recipe.pattern.value_or(Pattern::one_by_n(4)));
  // A pattern that fixes its sparsity (N:M) takes it unless a sparsity is given explicitly.
  const std::optional<double> sparsity = cli.sparsity ? cli.sparsity : recipe.sparsity;
  o.sparsity = sparsity.value_or(o.pattern.implied_sparsity().value_or(0.5));
  o.layers.full = cli.full.value_or(recipe.full.value_or(false));
  o.layers.include = cli.include.value_or(recipe.include.value_or(""));
  o.layers.exclude = cli.exclude.value_or(recipe.exclude.value_or(""));
  o.global_ranking = cli.global_ranking.value_or(recipe.global_ranking.value_or(false));
  o.rearrange = cli.rearrange.value_or(recipe.rearrange.value_or(RearrangeMode::graph));
  o.rules = recipe.rules;
  return o;
}

}  // namespace onexn
