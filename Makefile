# Thin wrapper over CMake; CMakeLists.txt is the build.  Every target that
# builds first runs scripts/setup, which is silent when nothing is missing.

BUILD      := build
BUILD_ASAN := build-asan
CONFIG     := -DCMAKE_BUILD_TYPE=RelWithDebInfo
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: all test demo bench asan setup clean

all: setup
	cmake -S . -B $(BUILD) $(CONFIG)
	cmake --build $(BUILD) -j2

# Release build and its tests, then the sanitizer build and the same tests.
test: all
	ctest --test-dir $(BUILD) --output-on-failure -j2
	$(MAKE) --no-print-directory asan
	$(SAN_ENV) ctest --test-dir $(BUILD_ASAN) --output-on-failure -j2

asan:
	cmake -S . -B $(BUILD_ASAN) $(CONFIG) -DTT_SANITIZE=ON
	cmake --build $(BUILD_ASAN) -j2

# make demo DEMO_SECONDS=30
demo: all
	$(if $(DEMO_SECONDS),DEMO_SECONDS=$(DEMO_SECONDS)) scripts/demo

bench: all
	scripts/bench

setup:
	scripts/setup

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
