# The plugin part: libnccl-tuner-cairn.so dlopened and called as NCCL 2.28 calls it.
# The test executable exports its ncclGetVersion (ENABLE_EXPORTS), as libnccl would, for
# the plugin's dlsym(RTLD_DEFAULT) to find.
cairn_add_test(test_tuner_plugin SOURCES test_plugin.cpp LIBS cairn_tuner_profile ${CMAKE_DL_LIBS})
target_compile_definitions(test_tuner_plugin PRIVATE CAIRN_TUNER_PLUGIN_PATH="$<TARGET_FILE:cairn_tuner_plugin>")
set_target_properties(test_tuner_plugin PROPERTIES ENABLE_EXPORTS ON)
add_dependencies(test_tuner_plugin cairn_tuner_plugin)

cairn_add_test(test_tuner_plugin_threads SOURCES test_plugin_threads.cpp LIBS cairn_tuner_profile ${CMAKE_DL_LIBS}
               LABELS unit threaded)
target_compile_definitions(test_tuner_plugin_threads PRIVATE CAIRN_TUNER_PLUGIN_PATH="$<TARGET_FILE:cairn_tuner_plugin>")
set_target_properties(test_tuner_plugin_threads PROPERTIES ENABLE_EXPORTS ON)
add_dependencies(test_tuner_plugin_threads cairn_tuner_plugin)
