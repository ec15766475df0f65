# ft/checkpoint: the sharded format, the asynchronous writer and its commit, a job of real
# rank processes saving together, and the Young/Daly interval.
cairn_add_test(test_checkpoint_format SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_checkpoint_format.cpp
               LIBS cairn_ft_checkpoint PkgConfig::XXHASH TIMEOUT 120)
cairn_add_test(test_checkpoint_writer SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_checkpoint_writer.cpp
               LIBS cairn_ft_checkpoint LABELS threaded SERIAL TIMEOUT 120)
cairn_add_test(test_checkpoint_job SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_checkpoint_job.cpp
               LIBS cairn_ft_checkpoint cairn_test_ranks LABELS threaded TIMEOUT 120)
cairn_add_test(test_checkpoint_interval SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_checkpoint_interval.cpp
               LIBS cairn_ft_checkpoint TIMEOUT 60)
