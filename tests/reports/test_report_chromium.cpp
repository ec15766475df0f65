// `cairn report` end to end: real results from the built cairn (bench and a second bench
// as the peer, under launch with 2 host ranks over UCX; pairs; a short tune; a short tiny
// training run with its loss log and SDC events, and straggler alerts when the run raised
// any), the acceptance fixture, then the report opened in headless Chromium with the
// network off: no console message, every chart drawn in the DOM, a screenshot that is not
// blank. The screenshots stay in the build tree; the test prints their paths.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/reports/png_pixels.h"

namespace cairn::test {
namespace {

namespace fs = std::filesystem;

const std::string kCairn = CAIRN_BINARY_DIR "/bin/cairn";
const std::string kChromium = "/usr/bin/chromium-headless-shell";

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Runs a command line of our own tokens through sh; its exit status.
int sh(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

// Every <svg>...</svg> of a page.
std::vector<std::string> svgs_of(const std::string& html) {
  std::vector<std::string> out;
  for (std::size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 4)) {
    const std::size_t end = html.find("</svg>", at);
    if (end == std::string::npos) break;
    out.push_back(html.substr(at, end - at));
  }
  return out;
}

// Drawn data: a dot, a heatmap cell, a timeline event, or a line of at least two points.
bool has_drawn_elements(const std::string& svg) {
  static const std::regex line(R"(<path d="M[-0-9.]+ [-0-9.]+L)");
  return svg.find("<circle") != std::string::npos || svg.find("class=\"cell\"") != std::string::npos ||
         std::regex_search(svg, line);
}

class ReportInChromium : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = CAIRN_BINARY_DIR "/test-output/report";
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  static std::string at(const std::string& name) { return dir_ + "/" + name; }
  // Runs `cairn ARGS` (in the output directory), keeping its output in LOG for a failure's message.
  static void cairn(const std::string& args, const std::string& log, std::vector<int> ok = {0}) {
    const int rc = sh("cd " + shell_quoted(dir_) + " && " + kCairn + " " + args + " >" + shell_quoted(at(log)) + " 2>" +
                      shell_quoted(at(log + ".err")));
    ASSERT_NE(std::find(ok.begin(), ok.end(), rc), ok.end())
        << "cairn " << args << " exited " << rc << ":\n" << slurp(at(log + ".err"));
  }
  // Chromium's command line, with the network off: a namespace of its own where we may
  // make one, else every connection sent to a port where nothing listens.
  static std::string chromium(const std::string& flags, const std::string& url) {
    const bool own_namespace = ::geteuid() == 0 && sh("unshare -n true 2>/dev/null") == 0;
    return (own_namespace ? "unshare -n " : "") + kChromium +
           " --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 --enable-logging=stderr --v=0 " + flags + " " + url;
  }
  // Opens NAME.html as a file:// URL with the network off: its DOM as Chromium built it
  // (at least min_charts charts, each drawn) and a screenshot NAME.png that is not blank,
  // with no console message on the way. Returns the DOM.
  static std::string open_in_chromium(const std::string& name, std::size_t min_charts) {
    const std::string url = "file://" + at(name + ".html"), shot = at(name + ".png");
    EXPECT_EQ(sh(chromium("--dump-dom", url) + " >" + shell_quoted(at(name + ".dom")) + " 2>" +
                 shell_quoted(at(name + ".dom.err"))),
              0)
        << slurp(at(name + ".dom.err"));
    EXPECT_EQ(sh(chromium("--screenshot=" + shot + " --window-size=1280,4000", url) + " >/dev/null 2>" +
                 shell_quoted(at(name + ".png.err"))),
              0)
        << slurp(at(name + ".png.err"));
    std::cout << "screenshot: " << shot << "\n";
    for (const std::string& err : {name + ".dom.err", name + ".png.err"}) {
      std::istringstream lines(slurp(at(err)));
      for (std::string line; std::getline(lines, line);)
        EXPECT_EQ(line.find("INFO:CONSOLE"), std::string::npos) << err << ": " << line;
    }
    const std::string dom = slurp(at(name + ".dom"));
    const std::vector<std::string> charts = svgs_of(dom);
    EXPECT_GE(charts.size(), min_charts) << name;
    for (const std::string& svg : charts)
      EXPECT_TRUE(has_drawn_elements(svg)) << name << ": an empty chart: " << svg.substr(svg.find("<title>"), 120);
    const PngSummary png = summarize_png(shot);
    EXPECT_EQ(png.width, 1280u);
    EXPECT_EQ(png.height, 4000u);
    // A blank page inflates to a handful of byte values; text, lines and colours to most of them.
    EXPECT_GT(png.distinct_byte_values, 64u) << shot;
    return dom;
  }
  static std::string dir_;
};
std::string ReportInChromium::dir_;

TEST_F(ReportInChromium, RendersEveryChartOfRealResultsWithTheNetworkOff) {
  if (::access(kChromium.c_str(), X_OK) != 0)
    GTEST_SKIP() << kChromium << " is not installed (scripts/deps.sh installs chromium-headless-shell): the report "
                 << "cannot be rendered here";
  const std::string launch2 = "launch -n 2 --no-prefix -- " + kCairn + " ";
  cairn(launch2 + "bench --backend ucx --op all_reduce,all_gather -b 1K -e 1M -f 4 -n 3 --json", "bench.json");
  cairn(launch2 + "bench --backend ucx --op all_reduce -b 1K -e 1M -f 4 -n 3 --json", "peer.json");
  cairn(launch2 + "pairs --backend ucx --bytes 256K --iters 3 --output pairs.json", "pairs.log", {0, 1});
  cairn(launch2 + "tune --backend ucx --op all_reduce -b 64K -e 256K -f 4 --rounds 1 --final-rounds 6 --out tune",
        "tune.log");
  cairn("topo --from " CAIRN_SOURCE_DIR "/tests/fixtures/captures/h100-vm --json", "topo.json");
  {
    std::ofstream text(at("corpus.txt"));
    for (int k = 0; k < 2000; ++k) text << "The quick brown fox " << k << " jumps over the lazy dog.\n";
  }
  cairn("data --input corpus.txt --output corpus.shard", "data.log");
  cairn(launch2 + "train --preset tiny --data corpus.shard --steps 30 --batch 2 --threads 1 --device cpu --backend ucx "
                  "--log-every 10 --loss-log loss.tsv --sdc-events sdc.jsonl --straggler-events straggler.jsonl "
                  "--inject bitflip:rank=0,step=10,where=transit,bit=27",
        "train.log");

  std::vector<std::string> results = {"bench.json", "peer.json", "pairs.json", "tune/profile.json", "topo.json",
                                      "loss.tsv", "sdc.jsonl", CAIRN_SOURCE_DIR "/tests/fixtures/reports/acceptance.json"};
  // A run without a straggler writes no alert; the report is made of what there is.
  if (fs::exists(at("straggler.jsonl")) && fs::file_size(at("straggler.jsonl")) > 0) results.push_back("straggler.jsonl");
  std::string args = "report";
  for (const std::string& r : results) args += " " + shell_quoted(r);
  cairn(args + " -o report.html --markdown summary.md", "report.log");
  // The training run alone, so that its charts fit a screenshot of their own.
  std::string training = "report loss.tsv sdc.jsonl";
  if (results.back() == "straggler.jsonl") training += " straggler.jsonl";
  cairn(training + " -o training.html", "training.log");

  const std::string html = slurp(at("report.html"));
  // Self-contained: no URL, no script, nothing loaded from anywhere; links only to its own sections.
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  for (std::size_t a = html.find("href=\""); a != std::string::npos; a = html.find("href=\"", a + 1))
    EXPECT_EQ(html[a + 6], '#') << html.substr(a, 60);
  const std::string md = slurp(at("summary.md"));
  EXPECT_NE(md.find("## Summary"), std::string::npos);
  EXPECT_NE(md.find("**verdict** FAIL rejected"), std::string::npos);
  std::cout << "summary: " << at("summary.md") << "\n";

  const std::string dom = open_in_chromium("report", 8);  // bench x2, pairs x2, topology, tune, loss, grad norm
  for (const char* heading : {"Acceptance verdict", "Collective bandwidth", "All pairs", "Topology",
                              "Tuning: default against tuned", "Training"})
    EXPECT_NE(dom.find(heading), std::string::npos) << heading;
  EXPECT_NE(dom.find("peer (ucx, 2 ranks)"), std::string::npos);  // the peer's curve beside ours
  const std::string training_dom = open_in_chromium("training", 2);  // loss and gradient norm
  EXPECT_NE(training_dom.find("SDC repaired"), std::string::npos);  // the bit flip marked on the curves
}

}  // namespace
}  // namespace cairn::test
