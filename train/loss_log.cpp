#include "train/loss_log.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"
#include "common/text_file.h"

namespace cairn::train {

LossLog::LossLog(std::string path, std::int64_t first_step) : path_(std::move(path)) {
  std::string kept;
  if (first_step > 0 && std::filesystem::is_regular_file(path_)) {  // a device keeps nothing
    const std::string text = read_text_file(path_, true);
    std::size_t at = 0;
    for (std::size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) {
      const std::string line = text.substr(at, nl + 1 - at);
      long long step = 0;
      if (std::sscanf(line.c_str(), "%lld", &step) == 1 && step >= 1 && step <= first_step) kept += line;
    }
  }
  write_file_atomically(path_, kept);
  f_ = std::fopen(path_.c_str(), "a");
  if (!f_) fail(path_, std::string("cannot open the loss log: ") + std::strerror(errno));
}

LossLog::~LossLog() {
  if (f_) std::fclose(f_);
}

void LossLog::write(const StepResult& r) {
  if (std::fprintf(f_, "%lld %.17g %.17g %.17g\n", static_cast<long long>(r.step + 1), r.loss, r.grad_norm, r.lr) < 0 ||
      std::fflush(f_) != 0)
    fail(path_, std::string("cannot write the loss log: ") + std::strerror(errno));
}

}  // namespace cairn::train
