# The divergence detector (ft/divergence): its judgement on a recorded real loss trace,
# and whole `cairn train` runs, clean and with a real gradient fault injected.
set(_divergence ${CMAKE_CURRENT_LIST_DIR})
cairn_add_test(test_divergence_detector SOURCES ${_divergence}/test_divergence_detector.cpp LIBS cairn_ft_divergence)
cairn_add_test(test_divergence_train SOURCES ${_divergence}/test_divergence_train.cpp LIBS cairn_train TIMEOUT 240)
add_dependencies(test_divergence_train cairn)
