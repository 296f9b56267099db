# certmill — one GNU Makefile for the whole tree.
# Targets: all test test-cluster up down run bench fuzz install clean.

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share/certmill
DOCDIR  ?= $(PREFIX)/share/doc/certmill
MANDIR  ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system

CC      ?= cc
PKGS    := libcurl openssl libpq jansson libidn2 libpsl ldns
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla
CPPFLAGS_ALL := -D_GNU_SOURCE -Iengine -Idb -Ifcgi $(PKG_CFLAGS)
CFLAGS_ALL   := -std=c17 $(WARN) -g -fPIE
LDLIBS_ALL   := $(PKG_LIBS) -lfcgi -lpthread

# Builds side by side: release (build/), sanitized (build/asan/), and the libFuzzer
# drivers with everything they link built by clang (build/fuzz/).
VARIANT ?= release
ifeq ($(VARIANT),asan)
  OUT     := build/asan
  OPTFLAGS := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(VARIANT),fuzz)
  OUT     := build/fuzz
  CC      := clang
  OPTFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=undefined
else
  OUT     := build
  OPTFLAGS := -O2
endif

ENGINE_SRC := $(wildcard engine/base/*.c engine/crypto/*.c engine/ident/*.c engine/acme/*.c engine/dns/*.c engine/providers/*.c engine/webhook/*.c)
DB_SRC     := $(wildcard db/*.c)
FCGI_SRC   := $(wildcard fcgi/*.c)
WORKER_SRC := $(wildcard engine/worker/*.c)
CLI_SRC    := $(wildcard engine/cli/*.c)
ALPN_SRC   := $(wildcard engine/alpn/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
FUZZ_SRC   := $(filter-out tests/fuzz/fuzz_common.c,$(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(OUT)/obj/%.o,$(1))

ENGINE_LIB := $(OUT)/lib/libcmengine.a
DB_LIB     := $(OUT)/lib/libcmdb.a
BINS       := $(OUT)/bin/certmill-fcgi $(OUT)/bin/certmill-worker $(OUT)/bin/certmill $(OUT)/bin/certmill-alpn
UNIT_BINS  := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRC))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRC))

.PHONY: all asan unit test test-cluster up down run bench fuzz fuzz-bins fuzz-replay valgrind install clean deps
.DEFAULT_GOAL := all

all: $(BINS)

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS_ALL) $(OPTFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(ENGINE_LIB): $(call obj,$(ENGINE_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Migrations are embedded in the programs so an installed `certmill migrate` needs no files.
SQL_FILES := $(sort $(wildcard sql/[0-9][0-9][0-9]_*.sql))
$(OUT)/gen/db_migrations.c: $(SQL_FILES) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	scripts/embed-sql.sh $@ $(SQL_FILES)

$(OUT)/obj/gen/db_migrations.o: $(OUT)/gen/db_migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS_ALL) $(OPTFLAGS) $(CFLAGS) -c $< -o $@

$(DB_LIB): $(call obj,$(DB_SRC)) $(OUT)/obj/gen/db_migrations.o
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# The OpenAPI document is embedded in certmill-fcgi, which serves it at GET /v1/openapi.json.
FCGI_GEN_OBJ := $(OUT)/obj/gen/openapi_json.o
# docs/openapi.yaml is the source; the build turns it into JSON once (python3-yaml).
$(OUT)/gen/openapi.json: docs/openapi.yaml scripts/openapi-json.py
	@mkdir -p $(dir $@)
	/usr/bin/python3 scripts/openapi-json.py $< $@

$(OUT)/gen/openapi_json.c: $(OUT)/gen/openapi.json scripts/embed-file.sh
	@mkdir -p $(dir $@)
	scripts/embed-file.sh $@ fcgi_openapi_json $<

$(FCGI_GEN_OBJ): $(OUT)/gen/openapi_json.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CPPFLAGS) $(CFLAGS_ALL) $(OPTFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/bin/certmill-fcgi: $(call obj,$(FCGI_SRC)) $(FCGI_GEN_OBJ) $(DB_LIB) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPTFLAGS) -pie -o $@ $^ $(LDLIBS_ALL) $(LDFLAGS)

$(OUT)/bin/certmill-worker: $(call obj,$(WORKER_SRC)) $(DB_LIB) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPTFLAGS) -pie -o $@ $^ $(LDLIBS_ALL) $(LDFLAGS)

$(OUT)/bin/certmill: $(call obj,$(CLI_SRC)) $(DB_LIB) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPTFLAGS) -pie -o $@ $^ $(LDLIBS_ALL) $(LDFLAGS)

$(OUT)/bin/certmill-alpn: $(call obj,$(ALPN_SRC)) $(DB_LIB) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(OPTFLAGS) -pie -o $@ $^ $(LDLIBS_ALL) $(LDFLAGS)

# Unit tests link the engine and the fcgi/worker/alpn objects other than their mains.
FCGI_LIBOBJ := $(call obj,$(filter-out fcgi/main.c,$(FCGI_SRC))) $(FCGI_GEN_OBJ)
WORKER_LIBOBJ := $(call obj,$(filter-out engine/worker/main.c,$(WORKER_SRC)))
ALPN_LIBOBJ := $(call obj,$(filter-out engine/alpn/main.c,$(ALPN_SRC)))
$(OUT)/tests/%: tests/unit/%.c $(FCGI_LIBOBJ) $(WORKER_LIBOBJ) $(ALPN_LIBOBJ) $(DB_LIB) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) $(OPTFLAGS) -Wno-missing-prototypes -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS_ALL) $(LDFLAGS)

# libFuzzer drivers (VARIANT=fuzz): tests/fuzz/fuzz_*.c with the fcgi, db and engine objects.
$(OUT)/fuzz/%: tests/fuzz/%.c $(OUT)/obj/tests/fuzz/fuzz_common.o $(FCGI_LIBOBJ) $(DB_LIB) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) -Itests/fuzz $(CFLAGS_ALL) $(OPTFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS_ALL) $(LDFLAGS)

fuzz-bins: $(FUZZ_BINS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; (cd tests/unit && ../../$$t); done

deps:
	@scripts/deps.sh

asan:
	$(MAKE) VARIANT=asan all

# make test: install what is missing, sanitized build, unit tests, integration tests on a private stack.
test: deps
	$(MAKE) VARIANT=asan all unit
	$(MAKE) fuzz-replay
	$(MAKE) all
	scripts/test.sh

# make test-cluster: the multi-host topology tests (tests/cluster/, issue 10) on network
# namespaces that scripts/cluster.sh builds and removes again (root needed).
test-cluster: deps all
	scripts/test-cluster.sh

up: deps all
	scripts/stack.sh up

down:
	scripts/stack.sh down

run: up
	scripts/demo.sh

# make bench [BENCH_N=200 BENCH_RUNS=3 ...]: certmill against lego, certbot and uacme on its own stack
# (var/bench/stack, ports 25000-25015 or BENCH_PORT_BASE); figures in var/bench/results.json, method
# in docs/performance.md. Fails only when a scenario could not run, never on speed.
build/bench/%: tests/bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -O2 $(CFLAGS) -o $@ $< -lfcgi -lpthread $(LDFLAGS)

bench: deps
	@scripts/deps.sh bench
	$(MAKE) all build/bench/fcgi_min build/bench/rusage_run
	/usr/bin/python3 tests/bench/bench.py

# make fuzz [FUZZ_SECONDS=60]: each driver fuzzes that long from its committed corpus;
# new inputs go to var/fuzz/NAME/, crashes to var/fuzz/crashes/. make fuzz-replay (part of
# make test) runs every committed corpus input once through its driver.
FUZZ_SECONDS ?= 60
fuzz: deps
	$(MAKE) VARIANT=fuzz fuzz-bins
	scripts/fuzz.sh run $(FUZZ_SECONDS)

fuzz-replay:
	$(MAKE) VARIANT=fuzz fuzz-bins
	scripts/fuzz.sh replay

# make valgrind [VALGRIND_TESTS=EXPR]: certmill-fcgi and the workers of a private stack
# (ports 29000-29015, var/valgrind) run the release build under valgrind's memcheck
# while the integration tests chosen by the pytest -k EXPR run (default: all of them,
# about 20 minutes; e.g. VALGRIND_TESTS="issuance or dns01" for a quick look); any
# error or definitely lost block fails.
VALGRIND_TESTS ?=
valgrind: deps all
	CM_VALGRIND=1 CM_BIN_DIR=$(CURDIR)/build/bin CM_STACK_DIR=$(CURDIR)/var/valgrind CM_PORT_BASE=29000 \
	  CM_TEST_TIMEOUT=5400 scripts/test.sh $(if $(VALGRIND_TESTS),-k "$(VALGRIND_TESTS)")

# make install [PREFIX=/usr/local] [DESTDIR=] [SYSCONFDIR=/etc] [BINDIR= DATADIR= DOCDIR= MANDIR= UNITDIR=]
install: all
	DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BINDIR="$(BINDIR)" SYSCONFDIR="$(SYSCONFDIR)" DATADIR="$(DATADIR)" \
	  DOCDIR="$(DOCDIR)" MANDIR="$(MANDIR)" UNITDIR="$(UNITDIR)" scripts/install.sh $(OUT)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
