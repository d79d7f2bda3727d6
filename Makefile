# netc: the two commands.
#   make run    install what is missing, build, run the main job
#   make test   install what is missing, build, run every test
# Other targets: build, fuzz (libFuzzer on the parser), asan (tests under
# ASan/UBSan), install, clean, bench, gpu-check.

BUILD        ?= build
BUILD_TYPE   ?= Release
JOBS         ?= $(shell nproc)
FUZZ_SECONDS ?= 60
NETC         := $(BUILD)/tools/netc/netc

.PHONY: all setup configure build run test fuzz asan clean

all: build

setup:
	@bash tools/setup.sh

configure: setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: train the CIFAR ResNet-20 adapted to 1x28x28 on
# Fashion-MNIST with its recipe (examples/fashion/resnet20.net: 3 epochs),
# evaluate on the 10k test images after every epoch, and leave the
# checkpoint and the curves in $(RUN_OUT). RUN_ARGS adds netc train options,
# e.g. make run RUN_ARGS="--epochs 30".
RUN_OUT  ?= out/fashion-resnet20
RUN_ARGS ?=
run: build
	$(NETC) train examples/fashion/resnet20.net --out $(RUN_OUT) $(RUN_ARGS)
	$(NETC) eval examples/fashion/resnet20.net --weights $(RUN_OUT)/checkpoint.nw

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(if $(CI),60,20)

# The parser fuzzer: clang's libFuzzer with ASan+UBSan, seeded with the
# examples and the diagnostics corpus, run for FUZZ_SECONDS.
FUZZ_DIR := $(BUILD)-fuzz
fuzz: setup
	@mkdir -p $(FUZZ_DIR)/corpus
	clang++-14 -std=c++17 -O1 -g -I. -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=undefined \
	  dsl/*.cpp tests/fuzz/parse_fuzzer.cpp -o $(FUZZ_DIR)/parse_fuzzer
	cp examples/*/*.net tests/dsl/errors/*.net $(FUZZ_DIR)/corpus/
	$(FUZZ_DIR)/parse_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/ \
	  $(FUZZ_DIR)/corpus

# Every test again under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: setup
	@cmake -S . -B $(BUILD)-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNETC_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS)

# Install netc, its runtime libraries and headers, the CMake package
# (lib/cmake/netc) and netc.pc under $(PREFIX); DESTDIR stages the tree
# (make install PREFIX=/usr DESTDIR=/tmp/pkg). Builds only what is installed.
PREFIX  ?= /usr/local
DESTDIR ?=
.PHONY: install
install: configure
	@cmake --build $(BUILD) --target netc netc_runtime_libs -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz $(BUILD)-asan

# The whole benchmark table, netc vs PyTorch 1.13, in one run (bench/table.py,
# bench/README.md): inference of ResNet-50 (torchvision strides), ResNet-18 and
# VGG-16 at batch 1 and 8, training steps of CIFAR ResNet-20 and ResNet-56 at
# batch 128, each at 1 then 2 threads, netc / PyTorch per row, and ResNet-50's
# per-layer GFLOP/s and % of peak. About 24 minutes on the busy 2-core host.
# BENCH_ARGS adds options, e.g. make bench BENCH_ARGS=--quick (a 1-minute smoke
# test) or BENCH_ARGS="--threads 1 --tuning-db tuning.json --json bench.json".
# Builds netc with -j1 unless JOBS is given.
BENCH_ARGS ?=
.PHONY: bench
bench: configure
	@cmake --build $(BUILD) --target netc -j $(if $(filter command line,$(origin JOBS)),$(JOBS),1)
	/usr/bin/python3 bench/table.py --netc $(NETC) $(BENCH_ARGS)

# The GPU check bundle (docs/gpu.md): CUDA libraries of CIFAR ResNet-20 and
# ResNet-50 (forward, and one training step at batch 64) linked into one
# small program, gpu_check, with their weights and CPU references,
# bench/torch_cuda_bench.py and a README, in one directory under 64 MiB to
# carry to a machine with an NVIDIA GPU and run there (./gpu_check; python3
# torch_cuda_bench.py). Self-tested here on the CPU first (about 3.5 minutes
# after netc is built); NETC_GPU_CHECK_OPENCL=1 also runs it on OpenCL (pocl).
GPU_CHECK_OUT ?= $(BUILD)/gpu-check
.PHONY: gpu-check
gpu-check: configure
	@cmake --build $(BUILD) --target netc -j $(JOBS)
	bash tools/gpu_check/make_bundle.sh $(NETC) . $(GPU_CHECK_OUT)
