# initlab: Monte Carlo and analytic moments of randomly initialised neural networks.
# `make help` lists the targets. Dependencies are installed (or named) by .ci/deps.sh.

CC      ?= cc
CXX     ?= c++
# MPI=1: `initlab sim` spreads its draws over the ranks of an MPI job (Open MPI; docs/mpi.md), built in
# build-mpi/ so that the two builds never share objects.
MPI     ?= 0
ifeq ($(MPI),1)
BUILD   ?= build-mpi
endif
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0
SOMAJOR := 0

WARN     = -Wall -Wextra -Werror -Wstrict-prototypes -Wvla -Wwrite-strings -Wshadow
OPT     ?= -O2 -g
CFLAGS  ?=
# -fPIC: the same objects go into libinitlab.a and libinitlab.so. -fno-semantic-interposition keeps
# the calls within the library inlinable, as they are without -fPIC.
ILCFLAGS = -std=c11 $(OPT) $(WARN) -fopenmp -ffp-contract=off -fPIC -fno-semantic-interposition \
           -D_POSIX_C_SOURCE=200809L -DIL_VERSION='"$(VERSION)"' -Isim -Ianalysis -Iplots -Icli $(CFLAGS)
LDLIBS_IL = -lgsl -lopenblas -ljansson -lmatheval -lm
ifeq ($(MPI),1)
ILCFLAGS += -DIL_MPI $(shell pkg-config --cflags ompi-c)
LDLIBS_IL += $(shell pkg-config --libs ompi-c)
endif
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
	$(BUILD)/analysis/theory.o \
	$(BUILD)/analysis/compare.o \
	$(BUILD)/analysis/commute.o \
	$(BUILD)/analysis/ks.o \
	$(BUILD)/analysis/fluct.o \
	$(BUILD)/plots/plot.o \
	$(BUILD)/analysis/claim.o \
	$(BUILD)/analysis/registry.o \
	$(BUILD)/analysis/checks_s000.o \
	$(BUILD)/analysis/checks_s001.o \
	$(BUILD)/analysis/checks_s002.o \
	$(BUILD)/analysis/report.o

# Public headers, installed flat under include/initlab/ with include/initlab.h, which includes them all.
PUBLIC_HDRS = \
	sim/error.h \
	sim/rng.h \
	sim/parse.h \
	sim/act.h \
	sim/init.h \
	sim/net.h \
	sim/moments.h \
	sim/mc.h \
	sim/checkpoint.h \
	analysis/verdict.h \
	analysis/theory.h \
	analysis/compare.h \
	analysis/claim.h \
	analysis/ks.h \
	analysis/commute.h \
	analysis/fluct.h \
	analysis/registry.h \
	plots/plot.h \
	analysis/report.h

SHLIB = $(BUILD)/libinitlab.so.$(VERSION)

# Programs in examples/, built against the headers as they are installed ($(BUILD)/include/initlab/).
EXAMPLES = \
	$(BUILD)/examples/moments

# Command-line layer.
CLI_OBJS = \
	$(BUILD)/cli/main.o \
	$(BUILD)/cli/opts.o \
	$(BUILD)/cli/netopts.o \
	$(BUILD)/cli/cmd_sim.o \
	$(BUILD)/cli/mpi_ranks.o \
	$(BUILD)/cli/cmd_theory.o \
	$(BUILD)/cli/cmd_commute.o \
	$(BUILD)/cli/cmd_claims.o \
	$(BUILD)/cli/cmd_plot.o \
	$(BUILD)/cli/cmd_fluct.o \
	$(BUILD)/cli/cmd_report.o

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
	$(BUILD)/tests/test_theory \
	$(BUILD)/tests/test_compare \
	$(BUILD)/tests/test_verdict \
	$(BUILD)/tests/test_ks \
	$(BUILD)/tests/test_commute \
	$(BUILD)/tests/test_plot \
	$(BUILD)/tests/test_fluct \
	$(BUILD)/tests/test_claim \
	$(BUILD)/tests/test_registry \
	$(BUILD)/tests/test_report

TEST_HELPERS = $(BUILD)/tests/pcg_ref $(BUILD)/tests/jsoncheck

.PHONY: all help deps demo check check-build check-asan check-valgrind check-slow check-report check-mpi fuzz bench install uninstall clean FORCE

all: $(BUILD)/initlab $(SHLIB) $(BUILD)/initlab.1 ## build the initlab command, the libraries and the man page (default)

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

deps: ## install the Debian packages needed to build (apt-get as root, else print the command)
	@sh .ci/deps.sh build

$(BUILD)/libinitlab.a: $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/initlab: $(CLI_OBJS) $(BUILD)/libinitlab.a
	$(CC) $(ILCFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libinitlab.a $(LDLIBS_IL)

# The shared library: soname libinitlab.so.$(SOMAJOR), with the links the linker and the loader look for.
$(SHLIB): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(ILCFLAGS) $(LDFLAGS) -shared -Wl,-soname,libinitlab.so.$(SOMAJOR) -Wl,--no-undefined -o $@ \
	  $(LIB_OBJS) $(LDLIBS_IL)
	ln -sf libinitlab.so.$(VERSION) $(BUILD)/libinitlab.so.$(SOMAJOR)
	ln -sf libinitlab.so.$(SOMAJOR) $(BUILD)/libinitlab.so

# The man page, generated from the command's own --help texts.
$(BUILD)/initlab.1: $(BUILD)/initlab mk/man.sh
	sh mk/man.sh $(BUILD)/initlab $(VERSION) >$@.tmp || { rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

# The pkg-config file for the current PREFIX (rewritten only when PREFIX or the template changed).
$(BUILD)/initlab.pc: initlab.pc.in FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' initlab.pc.in >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; echo "wrote $@ (prefix $(PREFIX))"; fi

# The public headers as they are installed, for building examples/ the way a user would.
$(BUILD)/include/initlab/.stamp: include/initlab.h $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	rm -f $(@D)/*.h
	cp include/initlab.h $(PUBLIC_HDRS) $(@D)/
	@touch $@

$(BUILD)/examples/%: examples/%.c $(BUILD)/include/initlab/.stamp $(BUILD)/libinitlab.a
	@mkdir -p $(@D)
	$(CC) -std=c11 $(OPT) $(WARN) -I$(BUILD)/include $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libinitlab.a \
	  $(LDLIBS_IL) -fopenmp

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

check-build: $(BUILD)/initlab $(SHLIB) $(BUILD)/initlab.1 $(BUILD)/initlab.pc $(EXAMPLES) $(TESTS) $(TEST_HELPERS)

check: ## install test dependencies, build, run every unit and command test (fast tier; with mpirun -np 2, 3)
	@sh .ci/deps.sh check
	@$(MAKE) --no-print-directory check-build
	@if sh .ci/deps.sh mpi; then $(MAKE) --no-print-directory MPI=1 BUILD=build-mpi build-mpi/initlab; \
	  else echo "initlab: without Open MPI, tests/cli/sim_mpi.sh is skipped" >&2; fi
	@BUILD=$(BUILD) INITLAB_MPI=build-mpi/initlab sh tests/run.sh

check-mpi: ## the whole suite against the MPI build (build-mpi/, Open MPI): every test, and mpirun -np 2, 3
	@sh .ci/deps.sh check
	@sh .ci/deps.sh mpi
	@$(MAKE) --no-print-directory MPI=1 BUILD=build-mpi check-build
	@BUILD=build-mpi sh tests/run.sh

SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

check-asan: ## the whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer (build-asan/)
	@sh .ci/deps.sh check
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g $(SAN)" check-build
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  UBSAN_OPTIONS=print_stacktrace=1 BUILD=build-asan sh tests/run.sh

check-valgrind: ## the whole suite under valgrind memcheck (errors and definite leaks fail; build-valgrind/)
	@sh .ci/deps.sh check
	@$(MAKE) --no-print-directory BUILD=build-valgrind check-build
	@BUILD=build-valgrind IL_VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
	  --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind.supp" sh tests/run.sh

check-report: ## write the claims report into BUILD/report-check/ and screenshot report.html in headless Chromium
	@sh .ci/deps.sh report
	@$(MAKE) --no-print-directory all
	@rm -rf $(BUILD)/report-check && mkdir -p $(BUILD)/report-check
	$(BUILD)/initlab report -o $(BUILD)/report-check/report --progress
	@sh tests/report_screenshot.sh $(BUILD)/report-check/report/report.html $(BUILD)/report-check/screenshots
	@echo "check-report: look at $(BUILD)/report-check/screenshots/*.png (docs/report.md says what to look for)"

FUZZ_SECONDS ?= 60
FUZZ_SRC = sim/error.c sim/rng.c sim/act.c sim/init.c sim/parse.c sim/net.c sim/moments.c sim/mc.c
FUZZ_FLAGS = -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fopenmp \
	-D_POSIX_C_SOURCE=200809L -DIL_VERSION='"$(VERSION)"' -Isim -Ianalysis -Wall -Werror -Wno-pass-failed

$(BUILD)/fuzz/fuzz_arch: tests/fuzz/fuzz_arch.c $(FUZZ_SRC)
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $^ -lgsl -lopenblas -ljansson -lm

$(BUILD)/fuzz/fuzz_claim: tests/fuzz/fuzz_claim.c analysis/claim.c sim/error.c
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ $^ -lmatheval -lm

fuzz: ## libFuzzer on the --arch parser and the claim expressions, FUZZ_SECONDS (default 60) each
	@sh .ci/deps.sh slow
	@$(MAKE) --no-print-directory $(BUILD)/fuzz/fuzz_arch $(BUILD)/fuzz/fuzz_claim
	@mkdir -p $(BUILD)/fuzz/work_arch $(BUILD)/fuzz/work_claim
	$(BUILD)/fuzz/fuzz_arch -max_total_time=$(FUZZ_SECONDS) -max_len=512 -print_final_stats=1 \
	  $(BUILD)/fuzz/work_arch tests/fuzz/corpus_arch
	ASAN_OPTIONS=detect_leaks=0 $(BUILD)/fuzz/fuzz_claim -max_total_time=$(FUZZ_SECONDS) -max_len=256 \
	  -print_final_stats=1 $(BUILD)/fuzz/work_claim tests/fuzz/corpus_claim

DIEHARDER_TESTS ?= 0 1 2 3 4 8 9 10 11 12 13 15 16 17 100 101 102 201 202 203
$(BUILD)/tests/rng_stream: tests/rng_stream.c $(BUILD)/libinitlab.a
	@mkdir -p $(@D)
	$(CC) $(ILCFLAGS) -o $@ $< $(BUILD)/libinitlab.a $(LDLIBS_IL)

check-slow: ## slow tier: fuzzing, dieharder on the raw PCG64 stream, and the calibration tests
	@$(MAKE) --no-print-directory fuzz
	@$(MAKE) --no-print-directory $(BUILD)/tests/rng_stream
	@BUILD=$(BUILD) DIEHARDER_TESTS="$(DIEHARDER_TESTS)" sh tests/dieharder.sh

demo: ## install dependencies, build, run the default experiments and write out/demo
	@sh .ci/deps.sh demo
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) sh cli/demo.sh

bench: ## time initlab against PyTorch and NumPy on the same workloads (table; out/bench/bench.tsv)
	@sh .ci/deps.sh bench
	@$(MAKE) --no-print-directory all $(BUILD)/bench/roofline
	@BUILD=$(BUILD) sh bench/run.sh

$(BUILD)/bench/roofline: bench/roofline.c $(BUILD)/libinitlab.a
	@mkdir -p $(@D)
	$(CC) $(ILCFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libinitlab.a $(LDLIBS_IL)

install: $(BUILD)/initlab $(BUILD)/libinitlab.a $(SHLIB) $(BUILD)/initlab.1 $(BUILD)/initlab.pc ## install the command, libraries, headers, pkg-config file, man page, plot scripts (PREFIX, DESTDIR)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/initlab \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/initlab/plots
	install -m 755 $(BUILD)/initlab $(DESTDIR)$(PREFIX)/bin/initlab
	install -m 644 $(BUILD)/libinitlab.a $(DESTDIR)$(PREFIX)/lib/libinitlab.a
	install -m 755 $(SHLIB) $(DESTDIR)$(PREFIX)/lib/libinitlab.so.$(VERSION)
	ln -sf libinitlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libinitlab.so.$(SOMAJOR)
	ln -sf libinitlab.so.$(SOMAJOR) $(DESTDIR)$(PREFIX)/lib/libinitlab.so
	install -m 644 include/initlab.h $(PUBLIC_HDRS) $(DESTDIR)$(PREFIX)/include/initlab/
	install -m 644 $(BUILD)/initlab.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/initlab.pc
	install -m 644 $(BUILD)/initlab.1 $(DESTDIR)$(PREFIX)/share/man/man1/initlab.1
	install -m 644 plots/*.gp $(DESTDIR)$(PREFIX)/share/initlab/plots/

uninstall: ## remove what install put in place (same PREFIX and DESTDIR)
	rm -f $(DESTDIR)$(PREFIX)/bin/initlab
	rm -f $(DESTDIR)$(PREFIX)/lib/libinitlab.a $(DESTDIR)$(PREFIX)/lib/libinitlab.so \
	  $(DESTDIR)$(PREFIX)/lib/libinitlab.so.$(SOMAJOR) $(DESTDIR)$(PREFIX)/lib/libinitlab.so.$(VERSION)
	rm -f $(DESTDIR)$(PREFIX)/lib/pkgconfig/initlab.pc
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/initlab.1
	rm -rf $(DESTDIR)$(PREFIX)/include/initlab
	rm -rf $(DESTDIR)$(PREFIX)/share/initlab

clean: ## remove build outputs
	rm -rf $(BUILD)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
