# attune: `make run` audits the bundled sample project, `make test` runs the suite.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The tool venvs' pinned wheels (Pynguin, pydoclint), for the tests' offline builds.
WHEELS := $(VENV)/wheels
SARIF_MULTITOOL := @microsoft/sarif-multitool@5.7.0
LIGHTHOUSE := lighthouse@12.2.3

.PHONY: install run test bench lint clean lighthouse schemas

install: $(STAMP)

$(STAMP): pyproject.toml scripts/find-python.sh activities/tool_envs.py
	@test -x $(PY) || { python=$$(sh scripts/find-python.sh) && echo "creating $(VENV) with $$python" && "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(PY) -c 'from activities.tool_envs import TOOLS; print(*(" ".join(t) for t in TOOLS), sep="\n")' | \
		while read -r pins; do \
			$(PY) -m pip download --quiet --disable-pip-version-check --only-binary=:all: -d $(WHEELS) $$pins || exit 1; \
		done
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/node $(SARIF_MULTITOOL); \
	else echo "npm not found: the SARIF validator test will be skipped outside CI"; fi
	@touch $(STAMP)

# Optional: Lighthouse for seo-optimization (with Chromium: apt-get install -y chromium).
lighthouse: install
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node $(LIGHTHOUSE)

run: install
	$(VENV)/bin/attune server start
	$(VENV)/bin/attune workflow run security-audit samples/vulnerable_app

# Bytecode is compiled first: the suite starts hundreds of fresh interpreters (CLI runs,
# workers, pool processes), and where PYTHONDONTWRITEBYTECODE is set each would compile
# attune's modules again. TEST_JOBS pytest processes share the tests, each with its own
# dev server and $ATTUNE_HOME; much of a test's time is waiting on servers and
# subprocesses, so two of them fit even two cores.
TEST_JOBS ?= 2
test: install
	$(PY) -m compileall -q activities workflows starter worker.py
	$(PY) -m pytest -n $(TEST_JOBS) --durations=30

bench: install
	$(PY) benchmarks/startup.py
	$(PY) benchmarks/security_scan.py

# The wire protocol's JSON schemas (docs/schemas/) and the README's table of flows.
schemas: install
	$(PY) -m starter.protocol

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
