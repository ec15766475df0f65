// A GoogleTest fixture around a netns::Cluster (netns_cluster.h) for tests that run one
// rank per host: it skips with the reason where the machine cannot build one, removes
// what a killed earlier run left behind, and gives each test a scratch directory and the
// cluster, both removed after it.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/netns_cluster.h"

namespace cairn::test::netns {

class ClusterTest : public ::testing::Test {
 protected:
  ClusterTest(std::string prefix, int hosts, std::string line_rate)
      : prefix_(std::move(prefix)), hosts_(hosts), line_rate_(std::move(line_rate)) {}

  void SetUp() override {
    const std::string why = missing_prerequisite(prefix_);
    if (!why.empty()) GTEST_SKIP() << why;
    remove_stale_namespaces(prefix_);
    dir_ = std::filesystem::temp_directory_path() / (prefix_ + "netns-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    cluster_ = std::make_unique<Cluster>(prefix_, hosts_, line_rate_);
  }
  void TearDown() override {
    cluster_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Cluster> cluster_;

 private:
  std::string prefix_;
  int hosts_;
  std::string line_rate_;
};

}  // namespace cairn::test::netns
