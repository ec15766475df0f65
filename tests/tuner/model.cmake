# The cost model (tuner/model): the alpha-beta fit, NCCL's structure against values worked
# by hand from tuning.cc, the host algorithms' structure, calibration and held-out error,
# and the cluster prediction against public anchors.
cairn_add_test(test_tuner_model
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/model/alpha_beta_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/model/segmented_fit_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/model/nccl_model_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/model/host_model_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/model/calibration_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/model/predict_test.cpp
  LIBS cairn_tuner_model)
