// `onexn inspect` and `onexn prune` on a small U-Net-like model that torch.onnx exports with
// ConvTranspose layers (one grouped), a skip Concat and a dilated conv. Python is the oracle:
// PyTorch computes the model's output, onnx.checker checks the pruned file, and numpy checks the
// 1xN blocks on the stored ConvTranspose weights [C_in][C_out/g][kH][kW] (axis 1).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

// Writes DIR/unet.onnx, DIR/x.npy and DIR/ref.npy (PyTorch's output for x).
constexpr const char* kExport = R"(
import sys, numpy as np, torch
from torch import nn
out = sys.argv[1]
torch.manual_seed(0)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(16, 12, 2, stride=2)
        self.up2 = nn.ConvTranspose2d(20, 8, 3, padding=1)
        self.up_g = nn.ConvTranspose2d(8, 8, 3, padding=1, groups=2)
        self.dil = nn.Conv2d(8, 6, 3, padding=2, dilation=2)
        self.head = nn.Conv2d(6, 4, 1)
    def forward(self, x):
        s = torch.relu(self.stem(x))
        d = torch.relu(self.down(s))
        u = torch.relu(self.up(d))
        u = torch.relu(self.up2(torch.cat([u, s], 1)))
        u = torch.relu(self.up_g(u))
        return self.head(torch.relu(self.dil(u)))
net = Net().eval()
x = torch.randn(1, 3, 16, 16)
with torch.no_grad():
    ref = net(x)
torch.onnx.export(net, x, out + "/unet.onnx", opset_version=13, input_names=["x"], output_names=["y"])
np.save(out + "/x.npy", x.numpy())
np.save(out + "/ref.npy", ref.numpy())
)";

// Checks every ConvTranspose weight of PRUNED against REARRANGED (the same model before pruning):
// whole blocks W[c][j*N : j*N+N] zeroed, the others unchanged, floor(blocks * p) zeroed, and they
// are the lowest by mean |w|. Prints the number of checked layers.
constexpr const char* kCheckBlocks = R"(
import sys, math, numpy as np, onnx
from onnx import numpy_helper
before_path, after_path, n, p = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def weights(path):
    m = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    return {node.name: inits[node.input[1]] for node in m.graph.node if node.op_type == "ConvTranspose"}
before, after = weights(before_path), weights(after_path)
checked = 0
for name, w in before.items():
    a = after[name]
    assert a.shape == w.shape, name
    scores, zero = [], []
    for c in range(w.shape[0]):
        for j0 in range(0, w.shape[1], n):
            b, z = w[c, j0:j0 + n], a[c, j0:j0 + n]
            if np.all(z == 0):
                zero.append(True)
            else:
                assert np.array_equal(z, b), f"{name}: block ({c}, {j0}) partly pruned"
                zero.append(False)
            scores.append(np.abs(b).mean())
    k = math.floor(len(scores) * p + 1e-9)
    assert sum(zero) == k, f"{name}: {sum(zero)} zero blocks, expected {k}"
    lowest = set(np.argsort(np.array(scores), kind="stable")[:k].tolist())
    assert lowest == {i for i, z in enumerate(zero) if z}, f"{name}: not the lowest blocks"
    checked += 1
print(checked)
)";

constexpr const char* kCompare = R"(
import sys, numpy as np
ref, got = np.load(sys.argv[1]), np.load(sys.argv[2])
err = np.abs(got.reshape(ref.shape) - ref).max() / np.abs(ref).max()
print(err)
sys.exit(0 if err <= 1e-4 else 1)
)";

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

test::CommandResult python(const fs::path& script, const std::string& args) {
  return test::run_command("/usr/bin/python3 " + quoted(script) + " " + args);
}

TEST(CliConvTranspose, InspectShowsTransposedLayersAndPruneWritesExactBlocksOnAxisOne) {
  const fs::path dir = test::scratch_dir("cli-prune-conv-transpose");
  std::ofstream(dir / "export.py") << kExport;
  std::ofstream(dir / "check_blocks.py") << kCheckBlocks;
  std::ofstream(dir / "compare.py") << kCompare;
  const auto exported = python(dir / "export.py", quoted(dir));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const fs::path model = dir / "unet.onnx";

  // inspect: one row per weighted layer, the ConvTranspose ones of kind "transposed" with their
  // OIHW shape (up: 12 outputs x 16 inputs; up2: 8 x 20; up_g: 8 outputs, 4 inputs per group).
  auto r = test::run_cli("inspect --json " + quoted(model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  std::set<std::string> transposed;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    if (!j.contains("kind") || j.at("op_type") != "ConvTranspose") continue;
    EXPECT_EQ(j.at("kind"), "transposed") << line;
    EXPECT_TRUE(j.at("default_prunes").get<bool>()) << line;
    const std::string layer = j.at("layer");
    const auto shape = j.at("shape").get<std::vector<int64_t>>();
    if (layer.find("up_g") != std::string::npos) {
      EXPECT_EQ(j.at("groups"), 2) << line;
      EXPECT_EQ(shape, (std::vector<int64_t>{8, 4, 3, 3})) << line;
    } else {
      EXPECT_EQ(j.at("groups"), 1) << line;
      const std::vector<int64_t> expected = layer.find("up2") != std::string::npos
                                                ? std::vector<int64_t>{8, 20, 3, 3}
                                                : std::vector<int64_t>{12, 16, 2, 2};
      EXPECT_EQ(shape, expected) << line;
    }
    transposed.insert(layer);
  }
  EXPECT_EQ(transposed.size(), 3u) << r.out;
  r = test::run_cli("inspect " + quoted(model));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("transposed  12x16x2x2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("8x4x3x3 g2"), std::string::npos) << r.out;

  // prune with graph rearrangement: the rearranged model computes PyTorch's output, the pruned
  // one passes onnx.checker, and its ConvTranspose weights are exact 1x4 blocks on axis 1.
  const fs::path permuted = dir / "rearranged.onnx", pruned = dir / "pruned.onnx",
                 report = dir / "report.json";
  r = test::run_cli("prune " + quoted(model) + " -o " + quoted(pruned) +
                    " --pattern 1x4 --sparsity 0.5 --report " + quoted(report) +
                    " --save-rearranged " + quoted(permuted));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto check = python(test::source_dir() / "scripts/onnx-check.py", quoted(pruned));
  EXPECT_EQ(check.exit_code, 0) << check.err;
  const auto blocks =
      python(dir / "check_blocks.py", quoted(permuted) + " " + quoted(pruned) + " 4 0.5");
  EXPECT_EQ(blocks.exit_code, 0) << blocks.err;
  EXPECT_EQ(blocks.out, "3\n");
  for (const fs::path& m : {model, permuted}) {
    const fs::path y = dir / (m.stem().string() + "-y.npy");
    r = test::run_cli("run " + quoted(m) + " --input " + quoted(dir / "x.npy") + " --output " +
                      quoted(y));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto same = python(dir / "compare.py", quoted(dir / "ref.npy") + " " + quoted(y));
    EXPECT_EQ(same.exit_code, 0) << m << ": relative error " << same.out << same.err;
  }
  // The pruned model runs alike on the kernels onexn picks and on dense ones.
  const fs::path y_sparse = dir / "pruned-y.npy", y_dense = dir / "pruned-dense-y.npy";
  for (const auto& [y, flag] : {std::pair{y_sparse, ""}, std::pair{y_dense, " --dense"}}) {
    r = test::run_cli("run " + quoted(pruned) + " --input " + quoted(dir / "x.npy") + " --output " +
                      quoted(y) + flag);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto alike = python(dir / "compare.py", quoted(y_dense) + " " + quoted(y_sparse));
  EXPECT_EQ(alike.exit_code, 0) << "pruned, sparse vs dense: relative error " << alike.out
                                << alike.err;

  // The report lists the three ConvTranspose layers; the sets produced by up (into up2) and by
  // stem (into down and, through the Concat, up2) are permuted; up2's is fixed by the grouped up_g.
  std::ifstream f(report);
  const auto j = nlohmann::json::parse(f);
  int reported = 0;
  for (const auto& l : j.at("layers"))
    reported += transposed.count(l.at("layer").get<std::string>());
  EXPECT_EQ(reported, 3);
  std::map<std::string, bool> permuted_by;
  for (const auto& s : j.at("channel_sets"))
    for (const auto& p : s.at("producers"))
      permuted_by[p.get<std::string>()] = s.at("permuted").get<bool>();
  EXPECT_TRUE(permuted_by.at("/up/ConvTranspose")) << j.dump(1);
  EXPECT_TRUE(permuted_by.at("/stem/Conv")) << j.dump(1);
  EXPECT_FALSE(permuted_by.at("/up2/ConvTranspose")) << j.dump(1);

  // Without rearrangement the blocks are those of the exported weights.
  r = test::run_cli("prune " + quoted(model) + " -o " + quoted(pruned) +
                    " --pattern 1x2 --sparsity 0.7 --rearrange none");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto plain =
      python(dir / "check_blocks.py", quoted(model) + " " + quoted(pruned) + " 2 0.7");
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace onexn
