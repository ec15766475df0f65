// The cells a sweep tunes: the collectives, sizes, data types and reductions a run will
// issue. Three sources, one result (a sorted list without duplicates):
//   - nccl-tests' flags (--op, -b, -e, -f or -i, -d, -o), as `cairn bench` takes them;
//   - a `cairn bench --json` result (schema cairn.bench): every row it measured;
//   - a workload file (schema "cairn.workload" v1), which `cairn plan` writes:
//       {"schema": "cairn.workload", "schema_version": 1,
//        "cells": [{"collective": "all_reduce", "bytes": 1048576, "dtype": "bfloat16",
//                   "op": "sum", "count": 12, "group": "dp"}, ...]}
//     ("dtype" and "op" default to float and sum; "count" (calls per step) and "group"
//     are informational).
#pragma once

#include <string>
#include <vector>

#include "collectives/measure/harness/collective.h"
#include "collectives/measure/harness/harness.h"
#include "tuner/search/candidate.h"

namespace cairn::tuner {

// Every (collective, size, dtype, op) of the sweep; ops only for collectives that reduce.
std::vector<Cell> cells_from_sweep(const std::vector<const coll::bench::CollTest*>& tests,
                                   const coll::bench::SweepOptions& sweep);
// Throws cairn::Error naming the file and the field.
std::vector<Cell> cells_from_bench_json(const Json& doc, const std::string& source);
std::vector<Cell> cells_from_workload_json(const Json& doc, const std::string& source);
// Either kind of file, told apart by its schema.
std::vector<Cell> read_cells_file(const std::string& path);
Json workload_to_json(const std::vector<Cell>& cells);

// Sorted by collective, dtype, op, bytes; duplicates removed.
void normalise(std::vector<Cell>& cells);
// One rank (a copy, nothing to tune) and cells the communicator cannot run (sendrecv and alltoall are not tuned: NCCL's tuner API
// has no function for them; a collective that needs more ranks) throw naming the cell.
void check_cells(const std::vector<Cell>& cells, int nranks);

}  // namespace cairn::tuner
