# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing first.
.PHONY: demo test setup gen-rtl typecheck clean

demo: setup
	npm run --silent demo

test: setup
	npx tsc --noEmit
	@mkdir -p .cache
	npx vitest run --reporter=default --reporter=json --outputFile=.cache/vitest.json; status=$$?; \
	  node scripts/test-summary.mjs .cache/vitest.json || status=1; exit $$status

# The long input fuzz: 10,000 seeded mutations of each input format (model/**/*.fuzz.test.ts); make test runs 500.
.PHONY: test-long
test-long: setup
	FUZZ_CASES=10000 npx vitest run .fuzz.test.ts

setup:
	@bash scripts/setup.sh

gen-rtl: setup
	npm run --silent gen-rtl

typecheck:
	npx tsc --noEmit

clean:
	rm -rf rtl-out/*/ build-out .cache
