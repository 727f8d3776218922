# The course in two commands (see README.md):
#   make lab    set everything up on first use, then open the course in JupyterLab
#   make test   set everything up on first use, then run every test (unit tests, notebooks, browser)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test setup browser lint notebooks figures bench slides assignments

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml .ci/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -c .ci/constraints.txt -e ".[test]"
	touch $@

lab: setup
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/

test: setup browser node_modules/.installed
	$(BIN)/python -m pytest

# the browser tests drive Debian's chromium (Playwright cannot download a browser here); installed when missing
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
		else \
			echo "The browser tests need Chromium: run 'sudo apt-get install chromium' (Debian/Ubuntu), then 'make test' again."; \
			exit 1; \
		fi; }

# the slides: every notebook as a reveal.js deck slides/NN_name.slides.html that opens from disk, no network needed
slides: setup node_modules/.installed
	rm -rf slides
	$(BIN)/python tools/slides.py --out slides

# what the decks load (reveal.js, MathJax, require.js, jQuery), as package-lock.json pins it, from the npm registry
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "The slides need npm (Node.js 18 or later): run 'sudo apt-get install npm' (Debian/Ubuntu), then make again."; \
		exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# the linter and formatter, configured in pyproject.toml (tests/test_lint.py runs the same under `make test`)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# for authors: re-execute every notebook top to bottom, in place, storing widget state
notebooks: setup
	MPLBACKEND=module://matplotlib_inline.backend_inline $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=600 --ExecutePreprocessor.store_widget_state=True notebooks/[0-9]*.ipynb
	$(BIN)/python tools/clear_solution_outputs.py notebooks/[0-9]*.ipynb

# for lecturers: the nbgrader course directory assignments/ (not in git) from notebooks/, one assignment per notebook;
# the student versions, without solutions, hidden tests or outputs, go to assignments/release/NN_name/ (README.md)
assignments: setup
	$(BIN)/python tools/assignments.py notebooks/[0-9]*.ipynb

# the explorers' default views as PNG and SVG in figures/
figures: setup
	$(BIN)/python -m swin_edu.figures

# speed, side by side with timm and torchvision (see README)
bench: setup
	$(BIN)/python benchmarks/bench_model.py
	$(BIN)/python benchmarks/bench_train.py
	$(BIN)/python benchmarks/bench_explorers.py
