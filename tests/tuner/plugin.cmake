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

# Under the real NCCL on a GPU machine (skips elsewhere): the plugin loaded by path and by
# name, a profile applied, bad ones warned about once, `cairn tune` on one GPU refused.
if(CAIRN_CUDA)
  cairn_add_test(test_tuner_plugin_nccl SOURCES test_plugin_nccl.cpp
                 LIBS cairn_hostile cairn_tuner_profile cairn_backends cairn_probe LABELS gpu TIMEOUT 600)
  target_compile_definitions(test_tuner_plugin_nccl PRIVATE CAIRN_TUNER_PLUGIN_PATH="$<TARGET_FILE:cairn_tuner_plugin>")
  add_dependencies(test_tuner_plugin_nccl cairn cairn_tuner_plugin)
endif()
