# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing first.
.PHONY: demo test setup gen-rtl typecheck clean

demo: setup
	npm run --silent demo

test: setup
	npx tsc --noEmit
	@mkdir -p .cache
	npx vitest run --reporter=default --reporter=json --outputFile=.cache/vitest.json; status=$$?; \
	  node scripts/test-summary.mjs .cache/vitest.json || status=1; exit $$status

# The long checks: 10,000 seeded mutations of each input format (model/**/*.fuzz.test.ts; make test runs 500),
# and the real-size co-simulations (*.long.test.ts, which make test leaves out).
.PHONY: test-long
test-long: setup
	FUZZ_CASES=10000 npx vitest run .fuzz.test.ts
	MMF_CLI_FUZZ_CASES=2000 MMF_CLI_FUZZ_HEAVY=0.25 npx vitest run cli/cli-fuzz.test.ts
	MMF_LONG_TESTS=1 npx vitest run .long.test.ts

setup:
	@bash scripts/setup.sh

gen-rtl: setup
	npm run --silent gen-rtl

typecheck:
	npx tsc --noEmit

clean:
	rm -rf rtl-out/*/ build-out .cache
