# The two set-up commands of the README:
#   make demo   install what is missing, build, run the main job
#   make test   install what is missing, build, run every test this machine can run
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: demo test deps build gpu clean

deps:
	@bash tools/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

demo: build
	@$(BUILD)/bin/attngen demo examples/default.attn

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf $(BUILD)
