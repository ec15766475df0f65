# The built `cairn tune` on UCX host ranks under `cairn launch`: the guided search against
# the exhaustive grid, resume after SIGKILL, --verify, --diff, --predict.
cairn_add_test(test_tune_cli SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_tune_cli.cpp
  LIBS cairn_hostile cairn_tuner cairn_test_support TIMEOUT 900 SERIAL)
add_dependencies(test_tune_cli cairn)
