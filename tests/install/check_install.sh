#!/usr/bin/env bash
# check_install.sh MODE BUILD_DIR SOURCE_DIR WORK_DIR
#
# MODE tree:  cmake --install BUILD_DIR into WORK_DIR/prefix and check the
#             installed tree: bin/netc runs, the CMake package is found and
#             gives netc::netc and netc_add_network, netc.pc compiles and
#             links a program against the runtime library, the headers stand
#             alone; DESTDIR staging and a moved prefix work too.
# MODE embed: the same install, then examples/embed from .net to a running C
#             program three ways: netc compile + gcc, find_package(netc), and
#             NetcCompile.cmake from the build tree.
set -euo pipefail

mode=$1
build=$(cd "$2" && pwd -P)
src=$(cd "$3" && pwd -P)
work=$4
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd -P)
prefix=$work/prefix

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

netc_build=$build/tools/netc/netc
[[ -x $netc_build ]] || fail "netc is not built: $netc_build"

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }

netc=$prefix/bin/netc
pc=$(find "$prefix" -path '*/pkgconfig/netc.pc' | head -n 1)
[[ -n $pc ]] || fail "no lib/pkgconfig/netc.pc"
libdir=$(dirname "$(dirname "$pc")")
cmakedir=$libdir/cmake/netc

if [[ $mode == tree ]]; then
  step "installed files"
  for f in "$netc" "$cmakedir/netcConfig.cmake" "$cmakedir/netcConfigVersion.cmake" \
           "$cmakedir/NetcCompile.cmake" "$libdir/libnetc_runtime_io.a" "$libdir/libnetc_data.a" \
           "$prefix/include/netc/runtime/NamedTensor.h" "$prefix/include/netc/runtime/Npy.h" \
           "$prefix/include/netc/runtime/WeightsFile.h" "$prefix/include/netc/runtime/Error.h" \
           "$prefix/include/netc/runtime/weights_generated.h" "$prefix/include/netc/runtime/data/Dataset.h"; do
    [[ -e $f ]] || fail "missing $f"
  done
  [[ -x $netc ]] || fail "$netc is not executable"
  for a in "$libdir"/libnetc_*.a; do
    [[ $(head -c 7 "$a") == '!<arch>' ]] || fail "$a is not a static archive"
  done
  (cd "$prefix" && find . -type f | sort)

  step "bin/netc --help"
  "$netc" --help > "$work/help.txt" || fail "bin/netc --help exited $?"
  grep -q compile "$work/help.txt" || fail "bin/netc --help does not list compile"
  "$netc" check "$src/examples/cifar/resnet.net" || fail "bin/netc check resnet.net"

  step "every installed header compiles on its own (no dsl/, compiler/, MLIR, Halide)"
  while IFS= read -r h; do
    echo "#include \"$h\"" | g++ -std=c++17 -fsyntax-only -I"$prefix/include/netc" -x c++ - \
      || fail "$h does not compile alone"
  done < <(cd "$prefix/include/netc" && find runtime -name '*.h')

  step "pkg-config netc"
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  pkg-config --exists --print-errors netc || fail "pkg-config cannot use netc.pc"
  [[ $(pkg-config --modversion netc) == "$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")/\1/p' "$cmakedir/netcConfigVersion.cmake")" ]] \
    || fail "netc.pc and netcConfigVersion.cmake disagree on the version"
  flags=$(pkg-config --cflags --libs netc) || fail "pkg-config --cflags --libs netc"
  echo "$flags"
  # shellcheck disable=SC2086
  g++ -std=c++17 "$src/tests/install/pc_consumer.cpp" $flags -o "$work/pc_consumer" \
    || fail "a program does not link with \`pkg-config --cflags --libs netc\`"
  "$work/pc_consumer" "$work/t.npy" || fail "pc_consumer"

  step "find_package(netc) from the installed tree"
  cmake -S "$src/tests/install/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
        -DEXPECTED_NETC="$netc" -DNET_FILE="$src/examples/cifar/resnet.net" > "$work/consumer.log" \
    || { cat "$work/consumer.log"; fail "find_package(netc) consumer"; }
  grep 'netc_add_network OK' "$work/consumer.log"

  step "DESTDIR staging, and a moved prefix"
  DESTDIR=$work/stage cmake --install "$build" --prefix /opt/netc > /dev/null || fail "DESTDIR install"
  [[ -x $work/stage/opt/netc/bin/netc ]] || fail "DESTDIR=$work/stage: no opt/netc/bin/netc"
  stage_pc=$(find "$work/stage/opt/netc" -name netc.pc)
  PKG_CONFIG_PATH=$(dirname "$stage_pc") pkg-config --cflags netc | grep -q -- "-I$work/stage/opt/netc/" \
    || fail "netc.pc does not follow its location"
  mv "$work/stage/opt/netc" "$work/moved"
  cmake -S "$src/tests/install/consumer" -B "$work/consumer-moved" -DCMAKE_PREFIX_PATH="$work/moved" \
        -DEXPECTED_NETC="$work/moved/bin/netc" -DNET_FILE="$src/examples/cifar/resnet.net" > "$work/moved.log" \
    || { cat "$work/moved.log"; fail "find_package(netc) after moving the prefix"; }
  echo "PASS: installed tree"
  exit 0
fi

[[ $mode == embed ]] || fail "unknown mode $mode"
cflags=(-std=c99 -Wall -Wextra -pedantic -Werror -O2)

check_run() {  # check_run LOG N: N "image i: class k" lines
  local n
  n=$(grep -c '^image [0-9]*: class [0-9]' "$1" || true)
  [[ $n == "$2" ]] || { cat "$1"; fail "expected $2 classified images, got $n"; }
}

step "the three commands: netc compile, gcc, run"
"$netc" compile "$src/examples/cifar/resnet.net" --target host -o "$work/direct" --name resnet20 --batch 4 \
  || fail "netc compile --target host"
for f in resnet20.a resnet20.h resnet20.weights; do
  [[ -f $work/direct/$f ]] || fail "netc compile wrote no $f"
done
gcc "${cflags[@]}" -I"$work/direct" "$src/examples/embed/classify.c" "$work/direct/resnet20.a" \
    -lpthread -ldl -lm -o "$work/classify" || fail "classify.c does not compile and link"
"$work/classify" --weights "$work/direct/resnet20.weights" --batch 6 --output "$work/y.f32" | tee "$work/run1.log"
check_run "$work/run1.log" 6
[[ $(stat -c %s "$work/y.f32") == $((6 * 10 * 4)) ]] || fail "--output: expected 6x10 float32"
head -c $((3 * 3 * 32 * 32 * 4)) /dev/zero > "$work/x.f32"
"$work/classify" --weights "$work/direct/resnet20.weights" --input "$work/x.f32" > "$work/run2.log"
check_run "$work/run2.log" 3
echo "not weights" > "$work/bad.weights"
if "$work/classify" --weights "$work/bad.weights" > "$work/bad.log" 2>&1; then
  fail "classify accepted a corrupt weights file"
fi
cat "$work/bad.log"

gen=()
command -v ninja > /dev/null && gen=(-G Ninja)

step "examples/embed with find_package(netc)"
cmake -S "$src/examples/embed" -B "$work/cmake" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" -DNETC_BATCH=4 \
      -DCMAKE_C_FLAGS=-Werror > "$work/cmake.log" || { cat "$work/cmake.log"; fail "configure examples/embed"; }
cmake --build "$work/cmake" -j 1 || fail "build examples/embed"
"$work/cmake/classify" --batch 5 | tee "$work/run3.log"
check_run "$work/run3.log" 5

step "NetcCompile.cmake from the build tree, embedded weights"
mkdir -p "$work/buildtree-src"
cat > "$work/buildtree-src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.20)
project(buildtree C)
set(NETC_EXECUTABLE "$netc_build")
include("$src/cmake/NetcCompile.cmake")
netc_add_network(r20 NET "$src/examples/cifar/resnet.net" NAME resnet20 BATCH 2 EMBED_WEIGHTS)
add_executable(classify "$src/examples/embed/classify.c")
target_link_libraries(classify PRIVATE r20)
EOF
cmake -S "$work/buildtree-src" -B "$work/buildtree" "${gen[@]}" -DCMAKE_C_FLAGS="-std=c99 -Wall -Wextra -pedantic -Werror" \
      > "$work/buildtree.log" || { cat "$work/buildtree.log"; fail "configure the build-tree project"; }
cmake --build "$work/buildtree" -j 1 || fail "build the build-tree project"
[[ ! -e $work/buildtree/r20/resnet20.weights ]] || fail "EMBED_WEIGHTS wrote a weights file"
"$work/buildtree/classify" --batch 3 | tee "$work/run4.log"
check_run "$work/run4.log" 3
echo "PASS: examples/embed"
