# The profile part: schema, find_rule, nccl.env, NCCL's example CSV, the topology hash.
cairn_add_test(test_tuner_profile SOURCES test_profile.cpp LIBS cairn_tuner_profile cairn_test_support)
