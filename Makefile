# Front door.  Every target is one script under scripts/; see README.md.
#   make          the demonstration (fetch, apply, build, boot, demo)
#   make check    the tests, ending with "N passed, N failed, N skipped"
.PHONY: all demo check pair soak check-base check-harness check-series bench deps fetch apply regen stored patches kernel tests clean

all: demo

demo:
	scripts/demo.sh

check-base:
	scripts/check-base.sh

pair:
	scripts/pair.sh

soak:
	scripts/soak.sh

bench:
	scripts/bench.sh

check-harness:
	scripts/check-harness.sh

check:
	scripts/check.sh

check-series:
	scripts/check-series.sh

deps:
	scripts/deps.sh

fetch:
	scripts/fetch-base.sh

apply:
	scripts/apply-series.sh

regen:
	scripts/regen-series.sh

stored:
	scripts/check-stored.sh

patches:
	scripts/check-patches.sh

kernel:
	scripts/build-kernel.sh test

tests:
	scripts/build-tests.sh

clean:
	rm -rf out/build out/tests out/runs
