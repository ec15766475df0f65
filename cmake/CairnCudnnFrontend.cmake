# cuDNN's fused attention (SDPA) through the cuDNN frontend, NVIDIA's header-only C++
# API for cuDNN graphs. The headers are not a Debian package: scripts/deps.sh unpacks the
# pinned PyPI wheel into .deps/ (git-ignored); -DCAIRN_CUDNN_FRONTEND_DIR=... points
# elsewhere. libcudnn comes from the CUDA toolkit's folder. Without either, Cairn builds
# with its own attention kernel only and says so here, once.
# Defines the target cairn_cudnn_frontend and CAIRN_HAVE_CUDNN_FRONTEND (ON/OFF).
option(CAIRN_CUDNN "Use cuDNN's fused attention where the frontend headers and libcudnn are found" ON)
set(CAIRN_CUDNN_FRONTEND_VERSION 1.32.0)
set(CAIRN_CUDNN_FRONTEND_DIR "${PROJECT_SOURCE_DIR}/.deps/cudnn-frontend-${CAIRN_CUDNN_FRONTEND_VERSION}/include"
    CACHE PATH "Folder holding cudnn_frontend.h (scripts/deps.sh fetches it)")

set(CAIRN_HAVE_CUDNN_FRONTEND OFF)
set(_why "")
if(NOT CAIRN_CUDNN)
  set(_why "-DCAIRN_CUDNN=OFF")
elseif(NOT EXISTS "${CAIRN_CUDNN_FRONTEND_DIR}/cudnn_frontend.h")
  set(_why "no cudnn_frontend.h in ${CAIRN_CUDNN_FRONTEND_DIR} (run scripts/deps.sh)")
else()
  find_path(CAIRN_CUDNN_INCLUDE cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include)
  find_library(CAIRN_CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64)
  if(NOT CAIRN_CUDNN_INCLUDE OR NOT CAIRN_CUDNN_LIBRARY)
    set(_why "cudnn.h or libcudnn not found beside CUDA (set CAIRN_CUDNN_INCLUDE and CAIRN_CUDNN_LIBRARY)")
  elseif(NOT TARGET CUDA::nvrtc)
    set(_why "the CUDA toolkit has no NVRTC, which the frontend links")
  endif()
endif()

if(_why STREQUAL "")
  set(CAIRN_HAVE_CUDNN_FRONTEND ON)
  add_library(cairn_cudnn_frontend INTERFACE)
  # SYSTEM: the frontend's own warnings are not ours to fix under -Werror.
  target_include_directories(cairn_cudnn_frontend SYSTEM INTERFACE ${CAIRN_CUDNN_FRONTEND_DIR}
                                                                    ${CAIRN_CUDNN_INCLUDE})
  # The frontend calls NVRTC for its runtime-compiled kernels (linked, not dlopen-ed).
  target_link_libraries(cairn_cudnn_frontend INTERFACE ${CAIRN_CUDNN_LIBRARY} CUDA::nvrtc CUDA::cudart)
  message(STATUS "Attention: cuDNN SDPA (frontend ${CAIRN_CUDNN_FRONTEND_VERSION}, ${CAIRN_CUDNN_LIBRARY}) "
                 "by default, Cairn's kernel as fallback (CAIRN_ATTENTION picks)")
else()
  message(STATUS "Attention: Cairn's kernel only, no cuDNN SDPA: ${_why}")
endif()
unset(_why)
