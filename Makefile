EXTENSION = aigw
MODULE_big = aigw

SRCS = $(wildcard src/*.c src/*/*.c)
OBJS = $(SRCS:.c=.o)

# The version, written here only: aigw.control, META.json, the install
# script's name and the C code's AIGW_VERSION come from it.
EXTVERSION = 0.10.0

# The install script of the current version is generated: the schema by
# topic, then the functions, then the rows aigw ships, in this order (a
# file may use what an earlier one made).  Upgrade scripts (aigw--A--B.sql)
# stay for existing installs.
SCHEMA_SQL = $(addprefix sql/schema/,roles.sql catalogue.sql money.sql requests.sql jobs.sql routing.sql backup.sql)
API_SQL = $(addprefix sql/api/,backup.sql credentials.sql calls.sql semantic.sql aggregate.sql billing.sql routing.sql views.sql batch.sql rest.sql triggers.sql policies.sql privileges.sql)
DATA_SQL = $(addprefix sql/data/,providers.sql currencies.sql models.sql prices.sql catalogue.sql quality.sql embeddings.sql)
INSTALL_SQL = sql/aigw--$(EXTVERSION).sql

DATA = $(sort $(INSTALL_SQL) $(wildcard sql/aigw--*.sql))
EXTRA_CLEAN = $(INSTALL_SQL) aigw.control META.json

TESTS = $(sort $(wildcard test/sql/*.sql))
REGRESS = $(patsubst test/sql/%.sql,%,$(TESTS))
REGRESS_OPTS = --inputdir=test --outputdir=test --load-extension=aigw

PG_CPPFLAGS = -I$(srcdir)/src -std=gnu11 -Wall -Wmissing-prototypes -Werror=implicit-function-declaration
SHLIB_LINK = -lcurl -lcrypto

# No LLVM bitcode: nothing here benefits from JIT inlining, and it needs clang.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# after PGXS, which sets CPPFLAGS
override CPPFLAGS += -DAIGW_VERSION='"$(EXTVERSION)"'

all: $(INSTALL_SQL) aigw.control META.json

aigw.control META.json: %: %.in Makefile
	sed 's/@EXTVERSION@/$(EXTVERSION)/g' $< >$@

$(INSTALL_SQL): sql/header.sql $(SCHEMA_SQL) $(API_SQL) $(DATA_SQL) Makefile
	{ sed 's/@EXTVERSION@/$(EXTVERSION)/g' sql/header.sql; \
	  for f in $(SCHEMA_SQL) $(API_SQL) $(DATA_SQL); do printf '\n-- %s\n' "$$f"; echo '--------------------------------------------------------------------------'; cat "$$f"; done; } >$@.tmp
	mv $@.tmp $@

$(OBJS): $(wildcard src/*.h src/*/*.h)
