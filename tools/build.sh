#!/usr/bin/env bash
# Configures and builds zerotask with CMake.
#
#   tools/build.sh [--build-dir DIR] [--target NAME]... [CMAKE_ARG]...
#
# DIR defaults to build/ (executables land in build/bin/). The build type is
# RelWithDebInfo unless a -DCMAKE_BUILD_TYPE=... argument says otherwise. Every
# other argument goes to the CMake configure step unchanged, e.g.
#   tools/build.sh -DZEROTASK_TESTS=OFF
#   tools/build.sh --build-dir build-asan -DZEROTASK_ASAN=ON --target node_tests
# Parallelism: $ZEROTASK_JOBS if set, otherwise nproc.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build_dir=build
targets=()
cmake_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir)
      [[ $# -ge 2 ]] || { echo "build: --build-dir needs a directory" >&2; exit 2; }
      build_dir=$2
      shift 2
      ;;
    --target)
      [[ $# -ge 2 ]] || { echo "build: --target needs a target name" >&2; exit 2; }
      targets+=("$2")
      shift 2
      ;;
    -h|--help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *)
      cmake_args+=("$1")
      shift
      ;;
  esac
done

build_type=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
for arg in "${cmake_args[@]+"${cmake_args[@]}"}"; do
  [[ "$arg" == -DCMAKE_BUILD_TYPE=* ]] && build_type=()
done

jobs=${ZEROTASK_JOBS:-$(nproc)}

echo "build: configuring $build_dir"
cmake -S . -B "$build_dir" "${build_type[@]+"${build_type[@]}"}" "${cmake_args[@]+"${cmake_args[@]}"}"

target_args=()
for target in "${targets[@]+"${targets[@]}"}"; do
  target_args+=(--target "$target")
done
echo "build: building $build_dir with $jobs jobs${targets[*]:+ (targets: ${targets[*]})}"
cmake --build "$build_dir" -j "$jobs" "${target_args[@]+"${target_args[@]}"}"
echo "build: done ($build_dir)"
