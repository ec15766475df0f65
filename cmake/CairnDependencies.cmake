# Every dependency is a Debian package (scripts/deps.sh installs them). Libraries the GPU
# machine lacks (Boost.Program_options, pugixml) are linked statically; fmt is header-only.
find_package(PkgConfig REQUIRED)
pkg_check_modules(HWLOC REQUIRED IMPORTED_TARGET hwloc)
pkg_check_modules(IBVERBS REQUIRED IMPORTED_TARGET libibverbs)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
find_package(ucx REQUIRED)
set(Boost_USE_STATIC_LIBS ON)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(pugixml REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(Threads REQUIRED)

# pugixml's static archive is the one that travels to machines without the package.
if(TARGET pugixml::static)
  set(CAIRN_PUGIXML pugixml::static)
else()
  set(CAIRN_PUGIXML pugixml::pugixml)
endif()

if(CAIRN_CUDA)
  if(NOT CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 80 90)
  endif()
  enable_language(CUDA)
  # CMake 3.25 knows no C++20 flag for nvcc ("requires the language dialect CUDA20"
  # at generate time): name it, as later CMake versions do.
  if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
    set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
    set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
  endif()
  set(CMAKE_CUDA_STANDARD 20)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  # One CUDA runtime per binary, the shared one NCCL links (CMake's default would add
  # the static runtime to every binary that holds .cu code, beside the shared one).
  set(CMAKE_CUDA_RUNTIME_LIBRARY Shared)
  find_package(CUDAToolkit REQUIRED)
  find_library(CAIRN_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/local/cuda/lib64 REQUIRED)
  find_path(CAIRN_NCCL_INCLUDE nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/local/cuda/include REQUIRED)
  add_library(cairn_nccl INTERFACE)
  target_link_libraries(cairn_nccl INTERFACE ${CAIRN_NCCL_LIBRARY} CUDA::cudart)
  target_include_directories(cairn_nccl INTERFACE ${CAIRN_NCCL_INCLUDE})
  include(${CMAKE_CURRENT_LIST_DIR}/CairnCudnnFrontend.cmake)
  # CAIRN_HAVE_CUDA is a usage requirement of cairn_common (common/CMakeLists.txt), so
  # every target linking a Cairn module sees it and nothing else does.
endif()
