# Checksummed gradients (ft/sdc): the pure parts; the checked reduction on 4 forked UCX
# ranks (every bit of every site, bitwise repaired); the coverage table with its overhead
# (SERIAL: it times); `cairn train --sdc` under `cairn launch -n 4`, bitwise against a
# clean run.
cairn_add_test(test_sdc_fingerprint SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sdc_fingerprint.cpp LIBS cairn_ft_sdc)
cairn_add_test(test_sdc_reduction SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sdc_reduction.cpp
  LIBS cairn_ft_sdc cairn_test_ranks cairn_collectives LABELS unit threaded TIMEOUT 300)
cairn_add_test(test_sdc_train SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sdc_train.cpp LIBS cairn_train TIMEOUT 180)
add_dependencies(test_sdc_train cairn)
cairn_add_test(test_sdc_coverage SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sdc_coverage.cpp
  LIBS cairn_ft_sdc cairn_train cairn_test_ranks LABELS unit SERIAL TIMEOUT 300)
# The GPU fingerprint against its CPU reference, and its bandwidth against a read-only
# kernel's (CUDA builds; skips without a GPU).
if(CAIRN_CUDA)
  cairn_add_test(test_sdc_fingerprint_cuda SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sdc_fingerprint_cuda.cpp
    LIBS cairn_ft_sdc CUDA::cudart LABELS gpu SERIAL)
endif()
cairn_add_test(test_sdc_skip SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sdc_skip.cpp
  LIBS cairn_ft_sdc cairn_train cairn_test_ranks LABELS unit threaded TIMEOUT 120)
