# initlab: Monte Carlo and analytic moments of randomly initialised neural networks.
# `make help` lists the targets. Dependencies are installed (or named) by .ci/deps.sh.

CC      ?= cc
CXX     ?= c++
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0

WARN     = -Wall -Wextra -Werror -Wstrict-prototypes -Wvla -Wwrite-strings -Wshadow
OPT     ?= -O2 -g
CFLAGS  ?=
ILCFLAGS = -std=c11 $(OPT) $(WARN) -fopenmp -ffp-contract=off -D_POSIX_C_SOURCE=200809L \
           -DIL_VERSION='"$(VERSION)"' -Isim -Ianalysis -Iplots -Icli $(CFLAGS)
LDLIBS_IL = -lgsl -lopenblas -ljansson -lmatheval -lm
LDFLAGS ?=

# Library objects, one per module.
LIB_OBJS = \
	$(BUILD)/sim/error.o \
	$(BUILD)/sim/rng.o \
	$(BUILD)/sim/act.o \
	$(BUILD)/sim/init.o \
	$(BUILD)/sim/net.o \
	$(BUILD)/sim/moments.o \
	$(BUILD)/sim/mc.o \
	$(BUILD)/sim/parse.o \
	$(BUILD)/sim/checkpoint.o \
	$(BUILD)/analysis/verdict.o \
	$(BUILD)/analysis/claim.o

# Command-line layer.
CLI_OBJS = \
	$(BUILD)/cli/main.o \
	$(BUILD)/cli/opts.o \
	$(BUILD)/cli/netopts.o \
	$(BUILD)/cli/cmd_sim.o

# Unit tests, one per module (tests/test_<module>.c).
TESTS = \
	$(BUILD)/tests/test_rng \
	$(BUILD)/tests/test_act \
	$(BUILD)/tests/test_init \
	$(BUILD)/tests/test_parse \
	$(BUILD)/tests/test_moments \
	$(BUILD)/tests/test_checkpoint \
	$(BUILD)/tests/test_net \
	$(BUILD)/tests/test_mc \
	$(BUILD)/tests/test_verdict \
	$(BUILD)/tests/test_claim

TEST_HELPERS = $(BUILD)/tests/pcg_ref $(BUILD)/tests/jsoncheck

.PHONY: all help deps demo check check-build bench install uninstall clean

all: $(BUILD)/initlab ## build the initlab command and library (default)

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

deps: ## install the Debian packages needed to build (apt-get as root, else print the command)
	@sh .ci/deps.sh build

$(BUILD)/libinitlab.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/initlab: $(CLI_OBJS) $(BUILD)/libinitlab.a
	$(CC) $(ILCFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libinitlab.a $(LDLIBS_IL)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ILCFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/test_%: tests/test_%.c $(BUILD)/libinitlab.a tests/testutil.h
	@mkdir -p $(@D)
	$(CC) $(ILCFLAGS) -Itests -o $@ $< $(BUILD)/libinitlab.a $(LDLIBS_IL) -lcmocka

$(BUILD)/tests/pcg_ref: tests/pcg_ref.cpp
	@mkdir -p $(@D)
	$(CXX) -std=c++14 -O2 -Wall -Wextra -Werror -o $@ $<

$(BUILD)/tests/jsoncheck: tests/jsoncheck.c
	@mkdir -p $(@D)
	$(CC) $(ILCFLAGS) -o $@ $< -ljansson

check-build: $(BUILD)/initlab $(TESTS) $(TEST_HELPERS)

check: ## install test dependencies, build, run every unit and command test (fast tier)
	@sh .ci/deps.sh check
	@$(MAKE) --no-print-directory check-build
	@BUILD=$(BUILD) sh tests/run.sh

demo: ## install dependencies, build, run the default experiments and write out/demo
	@sh .ci/deps.sh demo
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh cli/demo.sh

bench: ## time initlab against PyTorch and NumPy on the same workloads
	@sh .ci/deps.sh bench
	@$(MAKE) --no-print-directory all
	@echo "bench: not implemented yet (issue 7)"; exit 1

install: $(BUILD)/initlab ## install the command under $(DESTDIR)$(PREFIX)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/initlab $(DESTDIR)$(PREFIX)/bin/initlab

uninstall: ## remove what install put in place
	rm -f $(DESTDIR)$(PREFIX)/bin/initlab

clean: ## remove build outputs
	rm -rf $(BUILD)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
