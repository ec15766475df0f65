# The straggler detector (ft/straggler): its judgement on given statistics, its hook
# runner, and whole `cairn train` jobs of 4 host ranks with a slowed rank (SERIAL: they
# time real work).
set(_straggler ${CMAKE_CURRENT_LIST_DIR})
cairn_add_test(test_straggler_scoring SOURCES ${_straggler}/test_straggler_scoring.cpp LIBS cairn_ft_straggler)
cairn_add_test(test_straggler_train SOURCES ${_straggler}/test_straggler_train.cpp LIBS cairn_train SERIAL TIMEOUT 240)
add_dependencies(test_straggler_train cairn)
cairn_add_test(test_straggler_hook SOURCES ${_straggler}/test_straggler_hook.cpp LIBS cairn_ft_straggler LABELS threaded)
cairn_add_test(test_straggler_netns SOURCES ${_straggler}/test_straggler_netns.cpp LIBS cairn_train cairn_test_netns
               LABELS netns SERIAL TIMEOUT 240)
add_dependencies(test_straggler_netns cairn)
