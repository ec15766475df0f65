# The divergence detector (ft/divergence): its judgement on a recorded real loss trace,
# and whole `cairn train` runs, clean and with a real gradient fault injected.
set(_divergence ${CMAKE_CURRENT_LIST_DIR})
cairn_add_test(test_divergence_detector SOURCES ${_divergence}/test_divergence_detector.cpp LIBS cairn_ft_divergence)
# `long`: hundreds of steps of the CPU model, 11 s here and past 240 s in CI's unoptimised
# ASan build, which leaves this label out (the detector's code runs sanitized in the
# test above).
cairn_add_test(test_divergence_train SOURCES ${_divergence}/test_divergence_train.cpp LIBS cairn_train TIMEOUT 240
               LABELS long)
add_dependencies(test_divergence_train cairn)
