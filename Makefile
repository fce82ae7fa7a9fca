# A thin layer over CMake: the commands people type. The real build is CMakeLists.txt.
#   make run       the main job (installs what is missing, builds, runs)
#   make check     every test suite, through ctest
#   make sanitize  the unit suites under ASan + UBSan      make valgrind   ... under valgrind
#   make coverage  harness coverage report in reports/coverage/harness/
#   make bench     benchmarks (numbers and ratios)
#   make soak      serve's memory under a long mixed load, and an exactly-once audit
#   make stress    serve under 10,000 idle connections and at its descriptor limit
#   make fuzz      every libFuzzer target for FUZZ_SECONDS each (clang)

BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
WERROR   ?= 0
PYTHON   ?= python3
FUZZ_SECONDS ?= 60
CMAKE_ARGS = -DLAMBDACHECK_WERROR=$(if $(filter 1 ON on yes,$(WERROR)),ON,OFF) \
             -DLAMBDACHECK_PYTHON=$(PYTHON)

.PHONY: all deps build run check sanitize valgrind coverage bench soak stress fuzz clean

all: build

deps:
	@.ci/install-deps

build: deps
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The main job: the conformance suites and the example handler libraries (Python and Node.js), on
# the embedded emulator.
run: build
	@mkdir -p reports
	$(BUILD)/lambdacheck check --junit reports/junit.xml fixtures/cases/examples fixtures/cases/conformance \
	  fixtures/cases/examples-node fixtures/cases/conformance-node

check: build
	@.ci/install-deps --test
	cd $(BUILD) && ctest -V -j $(JOBS) --output-on-failure

sanitize: deps
	@cmake -S . -B build-asan $(CMAKE_ARGS) -DLAMBDACHECK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest -j $(JOBS) -LE install --output-on-failure

# Check forks a child per test; CK_FORK=no keeps every test in the process valgrind watches.
# Tests tagged process-limits lower RLIMIT_NOFILE, which valgrind fakes with descriptors of its
# own: they run in make check and make sanitize instead.
valgrind: build
	cd $(BUILD) && CK_FORK=no CK_EXCLUDE_TAGS=process-limits timeout 1200 valgrind --quiet --error-exitcode=1 --leak-check=full \
	  --child-silent-after-fork=yes \
	  --errors-for-leak-kinds=definite,indirect ./unit_tests
	@echo "valgrind: unit suites clean"

coverage: deps
	@cmake -S . -B build-cov $(CMAKE_ARGS) -DLAMBDACHECK_COVERAGE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	@cmake --build build-cov -j $(JOBS)
	@cmake --build build-cov --target coverage

# Benchmarks print numbers and ratios; they are not tests.
bench: build
	@cmake --build $(BUILD) --target bench

soak: build
	@cmake --build $(BUILD) --target soak

stress: build
	@cmake --build $(BUILD) --target stress

# Fuzzing: the library built with clang, instrumented; each target runs FUZZ_SECONDS from its
# committed seed corpus. A crash fails it and leaves its input in build-fuzz/artifacts/.
fuzz: deps
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DLAMBDACHECK_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target fuzz_targets
	@suites/fuzz/run build-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) build-asan build-cov build-fuzz reports
