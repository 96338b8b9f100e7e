# Union Helper (工会小助手). The two commands a new machine needs: `make run`, `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(PY) -m rasa
STAMP   := $(VENV)/.stamp-setup
MODEL   := models/union_helper.tar.gz
NLU_SRC := $(shell find nlu_data -type f 2>/dev/null | sort)
DOMAIN  := $(shell find domain -type f 2>/dev/null | sort)
# Python 3.10: Rasa 3.6 supports 3.8-3.10 only. pyenv picks 3.10.x from .python-version.
PYTHON310 ?= $(shell command -v python3.10 2>/dev/null || echo python3)
# Keep TensorFlow, SQLAlchemy and telemetry quiet (UH_VERBOSE=1 brings the logs back).
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_ENABLE_ONEDNN_OPTS := 0
ifndef UH_VERBOSE
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS := ignore
export LOG_LEVEL_LIBRARIES := ERROR
endif

.PHONY: help setup lint train serve run console console-admin browser-install test test-unit test-slow test-stories test-scale test-robustness load chaos backup retention knowledge-check data-validate bench clean

help:
	@echo "make run    - 安装（如需要）、训练（如需要）、启动服务器和聊天（无 TELEGRAM_TOKEN 时为终端聊天）"
	@echo "make test   - 运行全部测试"
	@echo "make setup | train | serve | knowledge-check | bench | clean"
	@echo "make console-admin NAME=登录名 - 新建工作人员后台的第一个管理员（会让你输入两次密码）"
	@echo "make test-scale | load | chaos | backup | retention  （扩容、故障演练、备份、过期数据清理）"

# Idempotent: reinstalls only when requirements change; a no-op otherwise.
setup: $(STAMP)
$(STAMP): requirements.txt constraints.txt
	@if [ ! -x $(PY) ]; then \
	  ver=$$($(PYTHON310) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	  if [ "$$ver" != "3.10" ]; then echo "需要 Python 3.10（Rasa 3.6 不支持 $$ver）：请安装 3.10 或设置 PYTHON310=/path/to/python3.10"; exit 1; fi; \
	  $(PYTHON310) -m venv $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip<25" wheel
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $(STAMP)

# Rasa/TensorFlow print pages of deprecation noise while training: it goes to a log file
# (shown when training fails, or always with UH_VERBOSE=1).
TRAIN_LOG := var/logs/train.log
train: $(MODEL)
# rasa_ext/nlu.py is the intent classifier config.yml names: a change to it needs a new model.
$(MODEL): $(STAMP) config.yml rasa_ext/nlu.py $(DOMAIN) $(NLU_SRC)
	@mkdir -p $(dir $(TRAIN_LOG))
	@echo "训练模型（2 核约 1 分钟；日志 $(TRAIN_LOG)）…"
	@start=$$(date +%s); \
	if [ -n "$(UH_VERBOSE)" ]; then \
	  $(RASA) train --data nlu_data --domain domain --config config.yml --out models --fixed-model-name union_helper; \
	else \
	  $(RASA) train --data nlu_data --domain domain --config config.yml --out models --fixed-model-name union_helper --quiet > $(TRAIN_LOG) 2>&1 \
	    || { tail -40 $(TRAIN_LOG); echo "训练失败，完整日志：$(TRAIN_LOG)"; exit 1; }; \
	fi; \
	echo "训练完成，用时 $$(( $$(date +%s) - start )) 秒：$(MODEL)"
	@touch $(MODEL)

serve: $(MODEL)
	$(PY) -m scripts.stack serve

run: $(MODEL)
	$(PY) -m scripts.stack run

# The staff console alone (make run / make serve start it beside the servers).
console: $(STAMP)
	$(PY) -m console serve

# The first admin of the staff console: there is no default account and no default password.
console-admin: $(STAMP)
	@if [ -z "$(NAME)" ]; then echo "用法：make console-admin NAME=登录名"; exit 1; fi
	$(PY) -m console migrate --verbosity 0
	$(PY) -m console createadmin --username "$(NAME)"

# Debian's chromium and chromium-driver for the console's browser test (installed if missing).
browser-install:
	$(PY) -m tests.console.chromium install

# Lint and format check (ruff) and types (mypy) of the product code; settings in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy common registry handoff knowledge answering actions bot rasa_ext scripts console wechat

knowledge-check: $(STAMP)
	$(PY) -m knowledge validate

data-validate: $(STAMP)
	$(RASA) data validate --data nlu_data --domain domain --config config.yml --fail-on-warnings --quiet

# The scale-out tests come last (PostgreSQL + Redis from Debian's packages, installed if
# missing); SKIP_SCALE=1 leaves them out (no root / no apt).
# Each phase is timed; the table is printed at the end (also when a phase fails).
TEST_PHASES := setup lint knowledge-check data-validate test-unit train test-slow test-stories $(if $(SKIP_SCALE),,test-scale)
test:
	@$(PYTHON310) -m scripts.phases $(TEST_PHASES)
	@echo "全部测试通过。"

# The unit tests in TEST_WORKERS processes (pytest-xdist): 97 s instead of 172 s on 2 cores.
TEST_WORKERS ?= 2
test-unit: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) -m "not slow and not scale" -q

test-slow: $(MODEL) browser-install
	$(PY) -m pytest -m slow -q

test-stories: $(MODEL)
	$(RASA) test core --stories tests/stories --model $(MODEL) --fail-on-prediction-errors --out results --quiet

# PostgreSQL + Redis (Debian packages, installed if missing), replicas of every process: the
# stores' tests on PostgreSQL, then two Rasa replicas, two action servers and two front ends
# on one database (races, kills, a PostgreSQL restart). A few minutes.
test-scale: $(MODEL)
	$(PY) -m scripts.scale_services install
	$(PY) -m pytest -m scale tests/registry tests/handoff tests/bot tests/scale tests/knowledge/test_gaps_store.py tests/console/test_postgres.py -q

test-robustness: $(MODEL)
	$(PY) -m pytest tests/robustness -q

# Load (loopback only, bounded): 200 workers for 60 s on the two-replica set-up (two Rasa
# replicas, two action servers, PostgreSQL + Redis). LOAD_ARGS="--quick", "--replicas 1" ….
load: $(MODEL)
	$(PY) -m scripts.scale_services install
	$(PY) -m scripts.load --replicas 2 $(LOAD_ARGS)

# The fault matrix under load: each kind of process SIGKILLed, PostgreSQL and Redis restarted (~6 min).
chaos: $(MODEL)
	$(PY) -m scripts.scale_services install
	$(PY) -m scripts.chaos $(CHAOS_ARGS)

# An online backup of every store (BACKUP_DIR=…; default $$UH_BACKUP_DIR or var/backups/<time>).
backup: $(STAMP)
	$(PY) -m scripts.backup create $(BACKUP_DIR)

# One retention pass (older than UH_RETENTION_DAYS, default 180), the counts printed.
retention: $(STAMP)
	$(PY) -m scripts.retention once

bench: $(MODEL)
	$(PY) -m scripts.bench

clean:
	rm -rf models results var/logs
