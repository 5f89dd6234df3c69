# Thin wrapper over CMake; CMakeLists.txt is the build.  Every target that
# builds first runs scripts/setup, which is silent when nothing is missing.

BUILD      := build
BUILD_ASAN := build-asan
CONFIG     := -DCMAKE_BUILD_TYPE=RelWithDebInfo
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: all test demo bench soak asan setup clean

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

# make soak SOAK_SECONDS=600 (the default): 50 sim terminals scanning under
# chaos (broker restarts, kill -9 of terminals and the server, a full disk
# as root), then exactly-once, stock, integrity and memory checks with
# figures and a verdict (scripts/soak).  Not part of make test or CI.
soak: all
	$(if $(SOAK_SECONDS),SOAK_SECONDS=$(SOAK_SECONDS)) scripts/soak

# make fuzz FUZZ_SECONDS=600: libFuzzer (clang) on every target in fuzz/ for
# FUZZ_SECONDS each, starting from its seed corpus fuzz/corpus/<name>/.  New
# inputs and crash artifacts go to a temporary directory, never into the tree;
# a crashing input worth keeping is copied into the corpus by hand.
BUILD_FUZZ   := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := event_batch event_ack gs1 epc conf master snapshot csv tag_json wfdef assets

.PHONY: fuzz
fuzz: setup
	CC=clang cmake -S . -B $(BUILD_FUZZ) $(CONFIG) -DTT_FUZZ=ON -DTT_TESTS=OFF
	cmake --build $(BUILD_FUZZ) -j2 --target tt_fuzzers
	@out=$$(mktemp -d -t tagtrail-fuzz.XXXXXX); failed=""; \
	echo "fuzz: new inputs and artifacts in $$out"; \
	for t in $(FUZZ_TARGETS); do \
	    mkdir -p $$out/$$t; \
	    echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	    $(BUILD_FUZZ)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=$$out/$$t- $$out/$$t fuzz/corpus/$$t \
	        >$$out/$$t.log 2>&1 || failed="$$failed $$t"; \
	    grep -E '^(#[0-9]+.*DONE|Done|stat::number_of_executed_units|==[0-9]+==ERROR)' \
	        $$out/$$t.log || true; \
	done; \
	if [ -n "$$failed" ]; then \
	    echo "fuzz: FAILED:$$failed (logs and crash-* artifacts in $$out)"; exit 1; \
	fi; \
	echo "fuzz: no crash (logs in $$out)"

setup:
	scripts/setup

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
