#include "graph/onnx_node_order.hpp"

#include <fmt/format.h>

#include <functional>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "onexn/error.hpp"

namespace onexn::graph {
namespace {

std::string node_label(const onnx::NodeProto& n, int k) {
  return fmt::format("node '{}' ({})",
                     n.name().empty() ? fmt::format("{}_{}", n.op_type(), k) : n.name(),
                     n.op_type());
}

}  // namespace

std::vector<int> topological_node_order(const onnx::GraphProto& g, const std::string& model) {
  const int count = g.node_size();
  std::unordered_set<std::string> outside;  // defined before any node runs
  for (const auto& t : g.initializer()) outside.insert(t.name());
  for (const auto& in : g.input()) outside.insert(in.name());
  // The first node writing each value (a second writer is the importer's error to report).
  std::unordered_map<std::string, int> producer;
  for (int k = 0; k < count; ++k) {
    for (const std::string& o : g.node(k).output())
      if (!o.empty() && !outside.count(o)) producer.emplace(o, k);
  }
  // Per node: the distinct producer nodes it waits for; per node, the nodes waiting on it.
  std::vector<int> waiting(count, 0);
  std::vector<std::vector<int>> readers(count);
  for (int k = 0; k < count; ++k) {
    std::unordered_set<int> from;
    for (const std::string& in : g.node(k).input()) {
      if (in.empty() || outside.count(in)) continue;
      auto it = producer.find(in);
      if (it == producer.end()) {
        throw Error(
            fmt::format("{}: {} reads '{}', which nothing defines (no initializer, graph "
                        "input or node output)",
                        model, node_label(g.node(k), k), in));
      }
      if (from.insert(it->second).second) readers[it->second].push_back(k);
    }
    waiting[k] = static_cast<int>(from.size());
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;  // lowest file index first
  for (int k = 0; k < count; ++k)
    if (waiting[k] == 0) ready.push(k);
  std::vector<int> order;
  order.reserve(count);
  while (!ready.empty()) {
    const int k = ready.top();
    ready.pop();
    order.push_back(k);
    for (int r : readers[k])
      if (--waiting[r] == 0) ready.push(r);
  }
  if (static_cast<int>(order.size()) == count) return order;

  // Every node left waits for another node left: follow such links from the first one left until
  // a node repeats; the nodes from its first visit on form a cycle.
  std::vector<bool> done(count, false);
  for (int k : order) done[k] = true;
  int at = 0;
  while (done[at]) ++at;
  std::vector<std::pair<int, std::string>> path;  // node, the value it reads from the next one
  std::unordered_map<int, size_t> seen;
  while (!seen.count(at)) {
    seen[at] = path.size();
    for (const std::string& in : g.node(at).input()) {
      auto it = producer.find(in);
      if (!in.empty() && !outside.count(in) && it != producer.end() && !done[it->second]) {
        path.emplace_back(at, in);
        at = it->second;
        break;
      }
    }
  }
  std::string cycle;
  for (size_t p = seen.at(at); p < path.size(); ++p) {
    cycle += fmt::format("{} reads '{}' from ", node_label(g.node(path[p].first), path[p].first),
                         path[p].second);
  }
  cycle += node_label(g.node(at), at);
  throw Error(fmt::format("{}: the graph has a cycle, so its nodes have no order to run in: {}",
                          model, cycle));
}

}  // namespace onexn::graph
