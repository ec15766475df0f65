# The metrics endpoint (common/exposition, --metrics-port): the server against hostile
# clients (threaded: CI's TSan stage runs it), and a real `cairn train` scraped with curl.
set(_metrics ${CMAKE_CURRENT_LIST_DIR})
cairn_add_test(test_metrics_server SOURCES ${_metrics}/test_metrics_server.cpp LIBS cairn_exposition LABELS threaded)
# `long`: a whole CPU run scraped several times (past 240 s in the unoptimised ASan build).
cairn_add_test(test_metrics_train SOURCES ${_metrics}/test_metrics_train.cpp LIBS cairn_train TIMEOUT 240
               LABELS long)
add_dependencies(test_metrics_train cairn)
