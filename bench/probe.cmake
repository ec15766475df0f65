# probe: live discovery must finish in under a second on a GPU node.
cairn_add_benchmark(probe_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/probe_bench.cpp LIBS cairn_probe)
target_compile_definitions(probe_bench PRIVATE
  CAIRN_BINARY_DIR="${PROJECT_BINARY_DIR}" CAIRN_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
add_dependencies(probe_bench cairn)
