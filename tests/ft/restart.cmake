# `cairn launch --max-restarts` (collectives/launch) and done-when 3 of issue 19: the
# launcher's restarts on plain commands, then a killed and a hung `cairn train` rank
# recovered bitwise (both run the built binary; SERIAL: they time real work).
cairn_add_test(test_restart_launch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_restart_launch.cpp
  LIBS cairn_common SERIAL TIMEOUT 120)
add_dependencies(test_restart_launch cairn)
cairn_add_test(test_restart_train SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_restart_train.cpp
  LIBS cairn_train SERIAL TIMEOUT 300)
add_dependencies(test_restart_train cairn)
# The launcher's reader of the ranks' event file, against the ranks' own writer.
cairn_add_test(test_ft_events SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ft_events.cpp LIBS cairn_launch cairn_ft_watchdog)
