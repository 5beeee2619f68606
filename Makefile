# moviepipe — every entry point a developer, CI or an operator needs.
#   make demo    the whole pipeline on the local cloud, end to end
#   make test    unit, contract, integration and end-to-end tests (emulators started for you)
# Everything this file needs (Node tools, linters, test runner) it installs itself.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ALL_MODULES := contracts scraper processor query-api deploy/local deploy/ops deploy/templates
# Modules with Go code yet (a module that is only a go.mod has nothing to vet or test).
MODULES     := $(foreach m,$(ALL_MODULES),$(if $(shell find $(m) -name '*.go' -print -quit),$(m)))
# A service is a module with a Lambda entry point at <service>/cmd/lambda.
FUNCTIONS := $(patsubst %/cmd/lambda/main.go,%,$(wildcard */cmd/lambda/main.go))

TOOLS              := $(CURDIR)/.tools
GOLANGCI_VERSION   := v2.15.0
GOTESTSUM_VERSION  := v1.13.0
GOLANGCI_LINT      := $(TOOLS)/golangci-lint-$(GOLANGCI_VERSION)/golangci-lint
GOTESTSUM          := $(TOOLS)/gotestsum-$(GOTESTSUM_VERSION)/gotestsum
WITH_EMULATORS     := $(CURDIR)/bin/with-emulators
LOCAL              := $(CURDIR)/bin/moviepipe-local
NODE_STAMP         := node_modules/.moviepipe-npm-ci

# Lambda build settings (docs/architecture.md: runtime provided.al2023, arm64).
LAMBDA_GOOS   := linux
LAMBDA_GOARCH := arm64
LAMBDA_FLAGS  := -trimpath -tags lambda.norpc -ldflags='-s -w -buildid='

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# ---- installs -------------------------------------------------------------

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

.PHONY: node
node: $(NODE_STAMP) ## install the pinned Node tools (npm ci) when missing or stale

$(GOLANGCI_LINT):
	GOBIN=$(dir $@) GOWORK=off GOFLAGS= go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

$(GOTESTSUM):
	GOBIN=$(dir $@) GOWORK=off GOFLAGS= go install gotest.tools/gotestsum@$(GOTESTSUM_VERSION)

$(WITH_EMULATORS): $(shell find deploy/local -name '*.go' -not -name '*_test.go') deploy/local/go.mod
	cd deploy/local && GOWORK=off go build -o $@ ./cmd/with-emulators

# ---- test -----------------------------------------------------------------

# make test and make bench package stage dev (template checks); a deployed stage
# needs a target site (scraper/serverless.yml), so it names a stand-in one.
test bench: PACKAGE_PARAMS = --param=scrapeUrl=https://films.example.com/

.PHONY: test
test: $(NODE_STAMP) $(GOTESTSUM) $(WITH_EMULATORS) vet package-local package browser awscli ## run every module's tests (race detector on) against fresh emulators
	$(WITH_EMULATORS) -log .moviepipe/test-emulators.log -- \
	  $(GOTESTSUM) --format testname --raw-command -- bash -c '\
	    rc=0; for m in $(MODULES); do \
	      (cd $$m && GOWORK=off go test -json -race -count=1 -timeout 20m ./...) || rc=1; \
	    done; exit $$rc'

# $(call debian,CHECK,PACKAGE,TEST): install Debian's PACKAGE unless the shell
# command CHECK passes, when run as root; elsewhere say that TEST skips.
define debian
@$(1) || { \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
    echo "installing Debian's $(2) for $(3)"; \
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; \
  else \
    echo "make test: Debian's $(2) is missing and this user cannot install it: $(3) skips (and fails when CI=true)"; \
  fi; }
endef

# The trace page test opens the console in Debian's headless Chromium.
.PHONY: browser
browser:
	$(call debian,command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1,chromium,the trace page test)

# The AWS CLI test drives the running local cloud with Debian's awscli
# (/usr/bin/aws: another aws earlier in PATH is not the one tested); ~35 s.
.PHONY: awscli
awscli:
	$(call debian,test -x /usr/bin/aws,awscli,the AWS CLI test)

# Every fuzz target, FUZZTIME each (their seed corpora run in make test).
FUZZTIME ?= 30s
FUZZ_TARGETS := processor:.:FuzzDecode processor:.:FuzzHandle scraper:.:FuzzParse query-api:.:FuzzHandle

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME (default 30s)
	@for t in $(FUZZ_TARGETS); do \
	  m=$${t%%:*}; rest=$${t#*:}; pkg=$${rest%%:*}; fn=$${rest#*:}; \
	  echo "fuzz $$m $$fn for $(FUZZTIME)"; \
	  (cd $$m && GOWORK=off go test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg) || exit 1; \
	done

.PHONY: vet
vet: ## go vet every module
	@for m in $(MODULES); do (cd $$m && GOWORK=off go vet ./...) || exit 1; done

.PHONY: lint
lint: $(GOLANGCI_LINT) ## golangci-lint every module (pinned version, installed into .tools)
	@for m in $(MODULES); do echo "lint $$m"; (cd $$m && GOWORK=off $(GOLANGCI_LINT) run --config $(CURDIR)/.golangci.yml ./...) || exit 1; done

.PHONY: bench
# package: the processor's CPU budget comes from its packaged MemorySize (the
# stage deployed); package-local: what the local cloud runs.
bench: $(NODE_STAMP) $(LOCAL) package-local package ## measure the goals: one table, written to docs/benchmarks.md (RUNS=3)
	$(LOCAL) bench -runs $(or $(RUNS),3) -out docs/benchmarks.md

# ---- build and deploy -----------------------------------------------------

.PHONY: build
build: $(addprefix dist/,$(addsuffix .zip,$(FUNCTIONS))) ## build every function's bootstrap (linux/arm64) and its zip
	@ls -l dist/*/bootstrap dist/*.zip 2>/dev/null || echo "no functions yet"

dist/%.zip: FORCE
	@mkdir -p dist/$*
	cd $* && GOWORK=off CGO_ENABLED=0 GOOS=$(LAMBDA_GOOS) GOARCH=$(LAMBDA_GOARCH) go build $(LAMBDA_FLAGS) -o $(CURDIR)/dist/$*/bootstrap ./cmd/lambda
	@touch -d 2000-01-01T00:00:00Z dist/$*/bootstrap
	@rm -f $@ && cd dist/$* && zip -q -X -9 $(CURDIR)/$@ bootstrap

.PHONY: FORCE
FORCE:

# The stacks in deploy order; remove goes in reverse.
STACKS := deploy/resources processor query-api scraper
OSLS   := $(CURDIR)/node_modules/.bin/osls
STAGE  ?= dev
REGION ?= us-east-1
# SERVICE=scraper (or processor, query-api, resources) limits deploy/remove to one stack.
SERVICE ?=
DEPLOY_STACKS = $(if $(SERVICE),$(filter %$(SERVICE),$(STACKS)),$(STACKS))
RUN = $(if $(DRY_RUN),echo,)
# STAGE=local deploys into the running local cloud (make up, or make up
# EMPTY=1 for one with no stacks): osls runs as against AWS, its SDK calls
# sent to the local cloud's endpoints with the operator's credentials.
DEPLOY_ENV = $(if $(filter local,$(STAGE)),$(LOCAL) exec --,)

.PHONY: package
package: $(NODE_STAMP) build ## build every zip and every stack's CloudFormation, offline (osls package)
	@for s in $(STACKS); do \
	  echo "package $$s ($(STAGE))"; \
	  (cd $$s && $(OSLS) package --stage $(STAGE) --region $(REGION) $(PACKAGE_PARAMS) > .serverless-package.log 2>&1) \
	    || { cat $$s/.serverless-package.log; exit 1; }; \
	  rm -f $$s/.serverless-package.log; \
	done

# The local cloud runs the stacks as packaged for stage local, into
# .moviepipe/package/<stack> (deploy/local/cloud reads them there): a stack is
# packaged again when its serverless.yml or the plugins change. osls empties
# <stack>/.serverless whatever --package says, so targets that need both run
# package-local before package.
LOCAL_PACKAGE   := .moviepipe/package
LOCAL_TEMPLATES := $(foreach s,$(STACKS),$(LOCAL_PACKAGE)/$(s)/cloudformation-template-update-stack.json)

.PHONY: package-local
package-local: $(LOCAL_TEMPLATES) ## package every stack for the local cloud (stage local), when stale

$(LOCAL_PACKAGE)/%/cloudformation-template-update-stack.json: %/serverless.yml $(wildcard deploy/plugins/*/*.js deploy/plugins/*/package.json) | $(NODE_STAMP)
	@for f in $(FUNCTIONS); do test -f dist/$$f.zip || $(MAKE) -s dist/$$f.zip; done
	@echo "package $* (local)"
	@mkdir -p $(LOCAL_PACKAGE)
	@(cd $* && $(OSLS) package --stage local --region $(REGION) --package $(CURDIR)/$(LOCAL_PACKAGE)/$* > $(CURDIR)/$(LOCAL_PACKAGE)/$(subst /,-,$*).log 2>&1) \
	  || { cat $(LOCAL_PACKAGE)/$(subst /,-,$*).log; exit 1; }
	@touch $@

.PHONY: deploy
deploy: $(NODE_STAMP) $(if $(DRY_RUN),,build) $(if $(filter local,$(STAGE)),$(LOCAL)) ## deploy with your AWS profile: make deploy STAGE=dev [SERVICE=…] [DRY_RUN=1]; STAGE=local: into the running local cloud
	@test -n "$(DEPLOY_STACKS)" || { echo "make deploy: unknown SERVICE=$(SERVICE)" >&2; exit 1; }
	@for s in $(DEPLOY_STACKS); do \
	  $(RUN) sh -c "cd $$s && $(DEPLOY_ENV) $(OSLS) deploy --stage $(STAGE) --region $(REGION)" || exit 1; \
	done

.PHONY: remove
remove: $(NODE_STAMP) $(if $(filter local,$(STAGE)),$(LOCAL)) ## remove, services first: make remove STAGE=dev [SERVICE=…] [DRY_RUN=1]; STAGE=local: from the running local cloud
	@test -n "$(DEPLOY_STACKS)" || { echo "make remove: unknown SERVICE=$(SERVICE)" >&2; exit 1; }
	@for s in $(shell echo $(DEPLOY_STACKS) | tr ' ' '\n' | tac); do \
	  $(RUN) sh -c "cd $$s && $(DEPLOY_ENV) $(OSLS) remove --stage $(STAGE) --region $(REGION)" || exit 1; \
	done

# ---- local cloud ----------------------------------------------------------

$(LOCAL): $(shell find deploy/local -name '*.go' -not -name '*_test.go') $(shell find deploy/local -name '*.html') deploy/local/go.mod
	cd deploy/local && GOWORK=off go build -o $@ ./cmd/moviepipe-local

.PHONY: demo
demo: $(NODE_STAMP) $(LOCAL) package-local ## run the whole pipeline on the local cloud, end to end, and stop
	$(LOCAL) demo

.PHONY: up
up: $(NODE_STAMP) $(LOCAL) package-local ## start the local cloud (stage local) and keep it running; Ctrl-C stops it; EMPTY=1: with no stacks, for make deploy STAGE=local; PORTS=BASE (or MOVIEPIPE_LOCAL_PORTS): console, API and site on BASE, BASE+1, BASE+2
	$(LOCAL) up $(if $(EMPTY),-empty) $(if $(PORTS),-ports $(PORTS))

.PHONY: env
env: $(LOCAL) ## the export lines that point aws and the SDKs at the running local cloud: eval "$(make -s env)"
	@$(LOCAL) env

.PHONY: invoke
invoke: $(LOCAL) ## invoke a function of the running local cloud: make invoke FN=processor EVENT=processor/testdata/events/kinesis-batch.json [TYPE=Event]
	@test -n "$(FN)" || { echo "usage: make invoke FN=<function> [EVENT=<event.json>] [TYPE=RequestResponse|Event]" >&2; exit 2; }
	@$(LOCAL) invoke $(FN) $(if $(EVENT),-e $(EVENT)) $(if $(TYPE),-type $(TYPE))

.PHONY: logs
logs: $(LOCAL) ## the functions' logs of the running local cloud, made readable: make logs [FN=processor] [FOLLOW=1] [JSON=1]
	@$(LOCAL) logs $(FN) $(if $(FOLLOW),-f) $(if $(JSON),-json)

.PHONY: trace
trace: $(LOCAL) ## print a trace of the running local cloud: make trace ID=1-…
	@test -n "$(ID)" || { echo "usage: make trace ID=<trace id>" >&2; exit 2; }
	$(LOCAL) trace $(ID)

.PHONY: errors
errors: ## the error table of the running local cloud: make errors [ARGS="redrive -reason publish_failed"], ARGS=failed-batches works off the on-failure queue
	cd deploy/ops && GOWORK=off go run ./cmd/moviepipe-errors -local $(or $(ARGS),list)

.PHONY: clean
clean: ## remove what make built (not the installed tools)
	rm -rf bin dist .moviepipe $(addsuffix /.serverless,$(STACKS))
