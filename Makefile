PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test browser report bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,plot,dask]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/influmix solve scenarios/spring-launch.toml

# Two pytest runs: everything else on both cores, then the tests that time themselves or send
# signals (marked `timing`) alone, so that the other worker's load cannot slow them.
test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 -m "not timing"
	$(BIN)/python -m pytest -m timing

# The HTML report's tests run it in headless Chromium: Debian's chromium-headless-shell, installed
# here when missing (as root only); without it those tests skip and say why.
browser:
	@command -v chromium-headless-shell >/dev/null 2>&1 || command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell \
	      || echo "could not install chromium-headless-shell: the browser tests will skip"; \
	  else echo "chromium-headless-shell is missing (install it as root): the browser tests will skip"; fi; }

# The screenshot of the flagship report shown in the README.
report: $(STAMP) browser
	$(BIN)/influmix report scenarios/spring-launch.toml --output /tmp/influmix-report.html
	chromium-headless-shell --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
	  --user-data-dir=/tmp/influmix-chromium --window-size=1150,1500 --screenshot=docs/report.png \
	  file:///tmp/influmix-report.html

bench: $(STAMP)
	$(BIN)/python benchmarks/scale.py

clean:
	rm -rf $(VENV) build *.egg-info
