# The two commands of the README. Both install what is missing first (scripts/install-deps.sh).
BUILD_DIR ?= build
TEST_BUILD_DIR ?= build-test
JOBS ?= $(shell nproc)
CONFIG ?= config/demo.json

.PHONY: run test build deps clean bench

run: deps build
	mkdir -p var
	./$(BUILD_DIR)/buergerbox migrate --config $(CONFIG)
	exec ./$(BUILD_DIR)/buergerbox serve --config $(CONFIG)

test: deps
	cmake -S . -B $(TEST_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DBB_WERROR=ON -DBB_SANITIZE=ON
	cmake --build $(TEST_BUILD_DIR) -j $(JOBS)
	# The reliability tests (SIGKILL under load, faulty channel APIs) measure the server under its
	# own load; they run after the rest, one at a time, so parallel tests do not starve them.
	cd $(TEST_BUILD_DIR) && ctest --output-on-failure --no-tests=error -j $(JOBS) -E '^reliability:'
	cd $(TEST_BUILD_DIR) && ctest --output-on-failure --no-tests=error -R '^reliability:'

# Only what `make run` runs: the service binary (no tests, no benchmarks).
build:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF -DBB_BENCH=OFF
	cmake --build $(BUILD_DIR) -j $(JOBS) --target buergerbox

# Every benchmark on a Release build (docs/performance.md); one: scripts/bench.sh ingest
bench: deps
	./scripts/bench.sh all

deps:
	./scripts/install-deps.sh

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR)
