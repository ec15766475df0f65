#include "reports/acceptance/gpu_checks.h"

#include <cmath>

#include <fmt/format.h>

#include "reports/acceptance/gpu_rates.h"
#include "reports/acceptance/node_rates.h"
#include "reports/acceptance/thresholds.h"
#include "train/ft/inject_slow.h"

namespace cairn::acceptance {

std::vector<Check> gpu_checks(coll::Communicator& comm, coll::bench::Memory& memory, const std::vector<std::string>& hosts,
                              const AcceptanceOptions& o, const std::function<void(int, int)>& progress) {
  if (o.gpu_device < 0 || !gpu_rates_built()) return {};
  // Per rank: [gemm samples..., copy samples..., datasheet TFLOP/s, datasheet GB/s] (0: not
  // in the table).
  const std::size_t n = static_cast<std::size_t>(o.repeats);
  std::vector<double> mine(2 * n + 2, 0.0);
  {
    GpuRates rates(o.gpu_device);
    const double factor = train::slow_compute_factor(o.inject, comm.rank(), 0);
    for (std::size_t i = 0; i < n; ++i) {
      mine[i] = rates.sample_gemm_tflop_s() / factor;  // a drill: a GPU F times slower
      mine[n + i] = rates.sample_copy_gb_s() / factor;
      if (progress) progress(static_cast<int>(i + 1), o.repeats);
    }
    if (const auto sheet = datasheet_for(rates.device_name())) {
      mine[2 * n] = sheet->bf16_tflop_s;
      mine[2 * n + 1] = sheet->memory_gb_s;
    }
  }
  const auto all = gather_values(comm, memory, mine);
  std::vector<coll::pairs::Participant> gpus;
  std::vector<std::vector<double>> gemm, copy;
  std::vector<std::optional<Threshold>> gemm_sheet, copy_sheet;
  const auto sheet_threshold = [&](double peak, const char* unit) -> std::optional<Threshold> {
    if (!(peak > 0)) return std::nullopt;
    return Threshold{o.datasheet_fraction * peak, "datasheet",
                     fmt::format("{} x the datasheet's {:.4g} {}", o.datasheet_fraction, peak, unit)};
  };
  for (std::size_t r = 0; r < all.size(); ++r) {
    const auto& v = all[r];
    gpus.push_back({static_cast<int>(r), fmt::format("{}/rank{}", hosts[r], r)});
    gemm.emplace_back(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
    copy.emplace_back(v.begin() + static_cast<std::ptrdiff_t>(n), v.begin() + static_cast<std::ptrdiff_t>(2 * n));
    gemm_sheet.push_back(sheet_threshold(v[2 * n], "TFLOP/s"));
    copy_sheet.push_back(sheet_threshold(v[2 * n + 1], "GB/s"));
  }
  const auto spec = o.expect.value_or(probe::ExpectSpec{});
  auto checks = fleet_checks("gpu_gemm", "TFLOP/s", gemm, gpus, spec.gpu_gemm_tflop_s, o, gemm_sheet);
  auto copies = fleet_checks("device_copy", "GB/s", copy, gpus, spec.device_copy_gb_s, o, copy_sheet);
  checks.insert(checks.end(), copies.begin(), copies.end());
  // Beside the figure it is judged by, the share of the datasheet it reaches.
  for (std::size_t i = 0; i < checks.size(); ++i) {
    const bool is_gemm = i < gpus.size();
    const double peak = all[i % gpus.size()][2 * n + (is_gemm ? 0 : 1)];
    if (peak > 0 && checks[i].summary)
      checks[i].evidence += fmt::format("; {:.0f} % of the datasheet's {:.4g} {}", 100 * checks[i].summary->median / peak,
                                        peak, checks[i].unit);
  }
  return checks;
}

}  // namespace cairn::acceptance
