# The search part: space, noise rule, journal, exhaustive and guided search, on synthetic
# measurement surfaces (test inputs, tests/tuner/search_surface.h).
cairn_add_test(test_tuner_search
  SOURCES test_search_stats.cpp test_search_space.cpp test_search_journal.cpp test_search_guided.cpp
  LIBS cairn_tuner_search cairn_test_support)
