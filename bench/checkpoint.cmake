# ft/checkpoint: the stall a save adds to a step (p50, p99) beside the copy of the state
# to pinned (staging) memory it must not exceed (issue 19, done-when 4).
cairn_add_benchmark(checkpoint_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/checkpoint_bench.cpp LIBS cairn_ft_checkpoint)
