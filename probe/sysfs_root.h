// Reads sysfs attribute files under a root: "/sys" on a live node, DIR/sysfs in a capture,
// a temporary tree in tests. Optionally copies every file it reads (and every directory
// it lists) into a capture directory, so that a capture holds exactly what the probe saw.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cairn::probe {

class SysfsRoot {
 public:
  explicit SysfsRoot(std::string root) : root_(std::move(root)) {}

  // Copy what is read from now on into `dir` (created as needed); "" stops copying.
  void record_to(std::string dir) { record_dir_ = std::move(dir); }

  // The file's contents without trailing whitespace; nullopt when it is missing or the
  // kernel refuses the read (many attributes return EINVAL on ports that are down).
  std::optional<std::string> read(const std::string& rel) const;
  // Entry names of a directory, sorted; empty when it is missing.
  std::vector<std::string> list(const std::string& rel) const;

  const std::string& root() const { return root_; }

 private:
  std::string root_;
  std::string record_dir_;
};

}  // namespace cairn::probe
