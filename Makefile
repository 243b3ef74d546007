# ftpd / ftp: one GNU Makefile for the library, both programs and every test.
#
#   make                      build common/libftpcommon.a, server/ftpd, client/ftp
#   make SAN=address,undefined  the same, with sanitizers, under build/san/
#   make deps                 install missing Debian packages (quick when present)
#   make check                deps, lint, build, unit + integration suites, then
#                             both again under ASan+UBSan; beside them, the unit
#                             suites under clang's ASan+UBSan and a fuzz smoke
#                             run: exactly what CI runs
#   make check-unit           the Check suites only (CK_RUN_SUITE=conf to pick one)
#   make check-integration    the real-peer tests only (TESTS=test_x.py to pick)
#   make interop              the interop matrix of ftpd (lftp, curl, ftplib,
#                             gnutls-cli); make check runs it via test_interop.py
#   make run                  build, set up, and start a demo ftpd on localhost
#   make mutate               break each security and data-loss promise of the
#                             man pages with a one-line mutant (test/mutants/)
#                             and check that a test catches it; slow, not part
#                             of check (MUTANTS='client-*' picks, MUTATE_JOBS=2)
#   make lint                 banned functions, functions over 80 lines, and
#                             file-level call loops (builds first)
#   make callgraph            the file-level call graph: build/callgraph.txt
#                             and build/callgraph.dot
#   make fuzz                 libFuzzer harnesses (clang, ASan+UBSan)
#   make fuzz-smoke           each harness briefly on its seeds (in make check)
#   make fuzz-long            each harness to 10 million runs, with a report
#   make check-san-clang      the Check suites built by clang, ASan+UBSan,
#                             under build/san-clang/ (in make check)
#   make install              programs, man pages, samples, systemd units,
#                             PAM, logrotate and fail2ban files (PREFIX,
#                             DESTDIR, SYSCONFDIR, BINDIR, SBINDIR, MANDIR);
#                             never over a file of the administrator's
#   make uninstall            remove what install added, keep what the
#                             administrator changed or added
#   make bench                ftpd beside vsftpd, ProFTPD and Pure-FTPd: one
#                             table of ratios (QUICK=1: a short run); never
#                             part of make check, which only builds its
#                             load generator
#
# Nothing here depends on what was installed by hand: `make deps` is the one
# place that knows which Debian packages the build and the tests need.

SAN ?=
CC ?= cc
PKGS := gnutls libuv libedit pam libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcrypt
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wformat-security \
	-Wstrict-prototypes -Wmissing-prototypes -Wvla -Wpointer-arith \
	-Wno-missing-field-initializers
HARDEN := -fstack-protector-strong -fPIE -fno-strict-aliasing
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -g -pthread $(WARN) $(HARDEN) -iquote common
BASE_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed -pthread

ifeq ($(SAN),)
  O := build/obj
  OUT :=
  OPT := -O2 -D_FORTIFY_SOURCE=2
else
  # A sanitizer variant lives entirely in its own directory, so it never
  # mixes objects with the default build (SANDIR=build/san-clang for the
  # clang one that check-san-clang builds).
  SANDIR ?= build/san
  O := $(SANDIR)
  OUT := $(SANDIR)/
  OPT := -O1 -fno-omit-frame-pointer -fsanitize=$(SAN) -fno-sanitize-recover=all
endif

# Where the installed programs look for their members (common/ftp_paths.h).
# Every object depends on a stamp holding the value, so building with
# another SYSCONFDIR rebuilds them.
PREFIX ?= /usr/local
SYSCONFDIR ?= /etc
PATHS_DEF := -DFTP_SYSCONFDIR='"$(SYSCONFDIR)"'
PATHS_STAMP := $(O)/sysconfdir.stamp

CFLAGS_ALL = $(BASE_CFLAGS) $(OPT) $(PKG_CFLAGS) $(PATHS_DEF) $(CFLAGS)
LDFLAGS_ALL = $(BASE_LDFLAGS) $(OPT) $(LDFLAGS)

LIB := $(OUT)common/libftpcommon.a
FTPD := $(OUT)server/ftpd
FTP := $(OUT)client/ftp
FTPCERT := $(OUT)server/ftpcert/ftpcert
SERVER_LIB := $(O)/server/libftpd.a
CLIENT_LIB := $(O)/client/libftpclient.a

COMMON_SRC := $(wildcard common/*.c)
SERVER_SRC := $(filter-out server/main.c,$(wildcard server/*.c))
CLIENT_SRC := $(filter-out client/main.c,$(wildcard client/*.c))
FTPCERT_SRC := $(filter-out server/ftpcert/main.c,$(wildcard server/ftpcert/*.c))
UNIT_SRC := $(wildcard test/unit/check_*.c)
UNIT_HELPER_SRC := $(filter-out test/unit/check_%,$(wildcard test/unit/*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(O)/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(O)/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(O)/%.o)
FTPCERT_OBJ := $(FTPCERT_SRC:%.c=$(O)/%.o)
FTPCERT_LIB := $(O)/server/ftpcert/libftpcert.a
UNIT_HELPER_OBJ := $(UNIT_HELPER_SRC:%.c=$(O)/%.o)
UNIT_HELPER_LIB := $(O)/test/unit/libunithelpers.a
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(O)/test/unit/%)
LOADGEN_SRC := $(wildcard test/bench/*.c)
LOADGEN_OBJ := $(LOADGEN_SRC:%.c=$(O)/%.o)
LOADGEN := $(O)/test/bench/loadgen

.PHONY: all deps check check-gcc check-clang check-unit check-integration \
	check-san check-san-clang \
	run lint fuzz fuzz-smoke fuzz-long interop bench mutate clean install \
	uninstall callgraph FORCE
.DEFAULT_GOAL := all

all: $(LIB) $(FTPD) $(FTP) $(FTPCERT)

$(PATHS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(SYSCONFDIR)' | cmp -s - $@ || echo '$(SYSCONFDIR)' > $@

$(O)/%.o: %.c $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(O)/test/unit/%.o: test/unit/%.c $(PATHS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(CHECK_CFLAGS) -iquote server -iquote server/ftpcert -iquote client -iquote test/unit -MMD -MP -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(SERVER_LIB): $(SERVER_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(SERVER_OBJ)

$(CLIENT_LIB): $(CLIENT_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(CLIENT_OBJ)

$(FTPD): $(O)/server/main.o $(SERVER_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(FTP): $(O)/client/main.o $(CLIENT_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(FTPCERT_LIB): $(FTPCERT_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(FTPCERT_OBJ)

$(FTPCERT): $(O)/server/ftpcert/main.o $(FTPCERT_LIB) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(UNIT_HELPER_LIB): $(UNIT_HELPER_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(UNIT_HELPER_OBJ)

# A unit test binary links the helper archive and the three program
# archives; the linker pulls in only the objects the suite uses.  Suites named
# in WRAP_<suite> wrap the allocator so that they can fail allocations on
# purpose (test/unit/alloc_fail.h).
$(O)/test/unit/check_%: $(O)/test/unit/check_%.o $(UNIT_HELPER_LIB) $(SERVER_LIB) $(CLIENT_LIB) $(FTPCERT_LIB) $(LIB)
	$(CC) $(LDFLAGS_ALL) $(WRAP_$*) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

# The bench's load generator: built (so it cannot rot) by check-unit, run
# only by make bench.
$(LOADGEN): $(LOADGEN_OBJ) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

WRAP_buf := -Wl,--wrap=malloc -Wl,--wrap=realloc
WRAP_conf := -Wl,--wrap=malloc -Wl,--wrap=realloc

deps:
	@sh test/tools/deps.sh

# Suites that read files of the source tree (man pages) find them here.
export FTP_SRCDIR := $(CURDIR)

# Every suite runs even when one fails, so one run shows every failure.
check-unit: all $(UNIT_BIN) $(LOADGEN)
	@fail=0; for t in $(UNIT_BIN); do \
	  CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-20} $$t || fail=1; \
	done; test $$fail = 0

check-integration: all
	@python3 test/integration/run.py --build "$(if $(OUT),$(OUT),.)" $(TESTS)

# The matrix alone; check-integration runs it too (test_interop.py).
interop: all
	@python3 test/integration/interop.py --build "$(if $(OUT),$(OUT),.)"

check-san:
	$(MAKE) SAN=address,undefined check-unit check-integration

# clang's UBSan flags what gcc's does not (pointer arithmetic on NULL, for
# one), and clang's warnings are errors too.
check-san-clang:
	$(MAKE) CC=clang SAN=address,undefined SANDIR=build/san-clang check-unit

# Two streams side by side (make's job server keeps them to two jobs): the
# gcc suites, whose integration runs mostly wait on sockets and timers, and
# the clang ones, which mostly compile.  Alone, one after the other, they
# took 15 minutes here; the clang stream's output goes to a log, shown in
# full when it fails.
check: deps
	$(MAKE) lint
	$(MAKE) all
	$(MAKE) -j2 check-gcc check-clang
	@echo "make check: all suites passed (default, ASan+UBSan with gcc and clang, fuzz smoke)"

check-gcc:
	$(MAKE) check-unit
	$(MAKE) check-integration
	$(MAKE) check-san

CLANG_LOG := build/check-clang.log
check-clang:
	@mkdir -p build
	@echo "check-clang: clang ASan+UBSan suites and the fuzz smoke run, log in $(CLANG_LOG)"
	@{ $(MAKE) check-san-clang && $(MAKE) fuzz-smoke; } > $(CLANG_LOG) 2>&1 || \
	  { cat $(CLANG_LOG); echo "check-clang: FAILED (log $(CLANG_LOG))"; exit 1; }
	@grep -E '^Running suite|^[0-9]+%: Checks|^fuzz smoke:' $(CLANG_LOG) | sed 's/^/check-clang: /'

# Works on copies in a scratch directory (MUTATE_TMP); the tree is only read.
mutate: deps
	@python3 test/mutants/mutate.py --jobs $(or $(MUTATE_JOBS),1) $(MUTANTS)

run: deps all
	@sh server/demo.sh

# The call-loop check reads the objects' symbol tables.
lint: all
	@sh test/tools/lint.sh

callgraph: all
	@python3 test/tools/codemap.py graph --dot build/callgraph.dot > build/callgraph.txt
	@echo "callgraph: build/callgraph.txt, build/callgraph.dot"

fuzz:
	@$(MAKE) -f test/fuzz/Makefile

# QUICK=1: smaller files and counts, one run instead of medians of three.
bench: deps all $(LOADGEN)
	@python3 test/bench/bench.py --loadgen $(LOADGEN) $(if $(filter 1,$(QUICK)),--quick)

fuzz-smoke:
	@$(MAKE) -f test/fuzz/Makefile smoke

# Not in make check: hours.  FUZZ_RUNS=n for another count.
fuzz-long:
	@$(MAKE) -f test/fuzz/Makefile long

clean:
	rm -rf build $(LIB) $(FTPD) $(FTP) $(FTPCERT)

include server/install.mk

-include $(shell find $(O) -name '*.d' -type f 2>/dev/null)
