// The storage probe's output: JSON for machines (schema cairn.storage version 1,
// docs/storage.md) and a table for people that fits 100 columns.
#pragma once

#include <string>
#include <vector>

#include "common/json_io.h"
#include "probe/storage/storage_demand.h"
#include "probe/storage/storage_probe.h"

namespace cairn::probe::storage {

inline constexpr const char* kStorageSchema = "cairn.storage";
inline constexpr int kStorageSchemaVersion = 1;

Json storage_to_json(const StorageOptions& o, const StorageFigures& f, const StorageDemand& d,
                     const std::vector<FigureVerdict>& verdicts);

std::string render_storage_table(const StorageOptions& o, const StorageFigures& f,
                                 const std::vector<FigureVerdict>& verdicts);

}  // namespace cairn::probe::storage
