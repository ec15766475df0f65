cairn_add_test(test_fault_spec SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fault_spec.cpp LIBS cairn_ft_inject)
