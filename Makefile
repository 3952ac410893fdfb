# Luz: two commands for a newcomer.
#   make run    set up everything missing and start the assistant
#   make test   set up everything missing and run every test
SHELL := /bin/bash
PY := .venv/bin/python
RASA := .venv/bin/rasa
VENV := .venv/.installed
MODEL := models/luz.tar.gz
TRAINING_INPUTS := config.yml bot/concepts.py bot/text.py $(wildcard bot/rasa_plugins/nlu/*.py) $(wildcard domain/*.yml) $(wildcard data/*.yml data/nlu/*.yml)
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

.PHONY: run run-prod bench storm test lint chat db train validate nlu-eval dialogue-eval lock clean

run: $(VENV) db $(MODEL)
	$(PY) -m bot run

run-prod: $(VENV) $(MODEL)
	scripts/ensure_package.sh nginx nginx-light "the production profile"
	$(PY) -m bot run --profile production

bench: $(VENV) $(MODEL)
	scripts/ensure_package.sh nginx nginx-light "the production profile"
	$(PY) -m scripts.bench

storm: $(VENV)
	$(PY) -m scripts.storm

test: $(VENV) lint $(MODEL)
	scripts/ensure_package.sh chromium chromium "the console's browser tests"
	scripts/ensure_package.sh nginx nginx-light "the production profile"
	$(PY) -m pytest

lint: $(VENV)
	.venv/bin/ruff check bot actions channels tests scripts
	.venv/bin/mypy

chat: $(VENV)
	$(PY) -m bot chat --phone "$(or $(PHONE),+573001234501)"

db: $(VENV)
	$(PY) -m bot db setup --demo

train: $(MODEL)

$(VENV): requirements.in requirements.lock scripts/bootstrap.sh
	scripts/bootstrap.sh

$(MODEL): $(VENV) $(TRAINING_INPUTS)
	@mkdir -p var
	@echo "Training the model (about 2 minutes; log in var/train.log)..."
	@$(RASA) train --config config.yml --domain domain --data data --out models --fixed-model-name luz \
		> var/train.log 2>&1 || { tail -40 var/train.log; exit 1; }
	@touch $(MODEL)

validate: $(VENV)
	$(RASA) data validate --config config.yml --domain domain --data data

nlu-eval: $(VENV)
	$(PY) -m scripts.nlu_eval

dialogue-eval: $(VENV) $(MODEL)
	$(PY) -m scripts.dialogue_eval

lock:
	rm -rf /tmp/luz-lock && $$(scripts/find_python.sh) -m venv /tmp/luz-lock
	/tmp/luz-lock/bin/pip install --quiet pip==24.2 && /tmp/luz-lock/bin/pip install --quiet -r requirements.in
	{ head -2 requirements.lock; /tmp/luz-lock/bin/pip freeze | grep -v '^pkg_resources'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock

clean:
	rm -rf var models/*.tar.gz .venv
