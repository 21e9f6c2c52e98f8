# The two commands a newcomer needs: `make demo` and `make test`. Both install what is missing first.
.PHONY: demo test setup gen-rtl typecheck clean

demo: setup
	npm run --silent demo

test: setup
	npx tsc --noEmit
	@mkdir -p .cache
	npx vitest run --reporter=default --reporter=json --outputFile=.cache/vitest.json; status=$$?; \
	  node scripts/test-summary.mjs .cache/vitest.json || status=1; exit $$status

setup:
	@bash scripts/setup.sh

gen-rtl: setup
	npm run --silent gen-rtl

typecheck:
	npx tsc --noEmit

clean:
	rm -rf rtl-out/*/ build-out .cache
