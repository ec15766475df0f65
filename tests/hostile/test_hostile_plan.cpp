// Hostile cases of `cairn plan`: a missing or doubled single-GPU rate (it has no default),
// GPUs that are not whole nodes, layouts that cannot divide, unknown node types and
// choices, and a model no layout fits; each one line naming the flag, exit 2.
#include <fstream>
#include <sstream>

#include "tests/hostile/hostile.h"

namespace cairn::hostile {
namespace {

std::vector<std::string> plan(std::vector<std::string> extra) {
  std::vector<std::string> a = {"plan", "--model", "apertus-8b", "--gpus", "8", "--node", "gh200-alps"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(HostilePlan, TheComputeRateHasNoDefault) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = plan({})}), 2, "plan", {"--gpu-tflops", "--tokens-per-gpu-s"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--gpu-tflops", "400", "--tokens-per-gpu-s", "900"})}), 2, "plan",
                      {"exactly one"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--gpu-tflops", "-5"})}), 2, "plan", {"--gpu-tflops", "positive"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--tokens-per-gpu-s", "nan"})}), 2, "plan", {"--tokens-per-gpu-s"}));
}

TEST(HostilePlan, ShapesThatCannotBeLaidOutNameTheirFlag) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = {"plan", "--model", "apertus-8b", "--gpus", "6", "--node", "gh200-alps",
                                         "--gpu-tflops", "400"}}),
                      2, "plan", {"--gpus 6", "multiple of 4"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--gpu-tflops", "400", "--tp", "3"})}), 2, "plan", {"--tp 3"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--gpu-tflops", "400", "--tp", "0"})}), 2, "plan", {"--tp 0"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--gpu-tflops", "400", "--seq-len", "100000"})}), 2, "plan",
                      {"--seq-len 100000"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--gpu-tflops", "400", "--optimizer", "sgd"})}), 2, "plan",
                      {"--optimizer", "sgd"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--gpu-tflops", "400", "--grad-reduce", "fp8"})}), 2, "plan",
                      {"--grad-reduce fp8", "bf16 or fp32"}));
  EXPECT_TRUE(refused(run(box, {.args = plan({"--gpu-tflops", "400", "--ddp-bucket-size", "0"})}), 2, "plan",
                      {"--ddp-bucket-size 0"}));
  EXPECT_TRUE(refused(run(box, {.args = {"plan", "--model", "apertus-8b", "--gpus", "8", "--node", "no-such-node",
                                         "--gpu-tflops", "400"}}),
                      2, "plan", {"no-such-node"}));
}

TEST(HostilePlan, AModelThatFitsNoLayoutSaysWhatToChange) {
  Sandbox box;
  EXPECT_TRUE(refused(run(box, {.args = {"plan", "--model", "apertus-70b", "--gpus", "4", "--node", "gh200-alps",
                                         "--gpu-tflops", "400"}}),
                      2, "plan", {"no layout fits", "--gpus"}));
}

TEST(HostilePlan, AGoodPlanPrintsAndWritesItsWorkload) {
  Sandbox box;
  const Outcome o = run(box, {.args = plan({"--gpu-tflops", "400", "--batch", "64", "--workload", box.path("w.json"),
                                            "--json"})});
  EXPECT_EQ(o.exit_code, 0) << o.describe();
  EXPECT_NE(o.out.find("\"cairn.plan\""), std::string::npos);
  EXPECT_NE(o.out.find("tokens_per_gpu_s"), std::string::npos);
  std::ifstream w(box.path("w.json"));
  std::stringstream text;
  text << w.rdbuf();
  EXPECT_NE(text.str().find("\"cairn.workload\""), std::string::npos) << text.str().substr(0, 200);
}

}  // namespace
}  // namespace cairn::hostile
