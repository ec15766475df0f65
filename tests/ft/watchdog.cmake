# The hang watchdog (ft/watchdog): the verdict and the observer's counts (unit), and real
# ranks whose collective hangs (threaded: the watchdog thread aborts a rank blocked in
# all_reduce; the verdict names the stuck operation and the missing ranks).
cairn_add_test(test_hang_verdict SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_hang_verdict.cpp LIBS cairn_ft_watchdog)
cairn_add_test(test_watchdog_ranks SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_watchdog_ranks.cpp
  LIBS cairn_ft_watchdog cairn_backends cairn_test_ranks LABELS threaded SERIAL TIMEOUT 120)
