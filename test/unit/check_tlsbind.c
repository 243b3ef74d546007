/*
 * check_tlsbind.c: the registry of issued TLS sessions (common/tlsbind):
 * the binding table verdict by verdict, scopes ending, principals changing,
 * the per-scope quotas, the TLS 1.2 session data and its expiry, a table
 * that grows, and the registry outliving its owner.
 *
 * Run one case:
 *   CK_RUN_SUITE=tlsbind CK_RUN_CASE=judge build/obj/test/unit/check_tlsbind
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "addr.h"
#include "err.h"
#include "ftp_limits.h"
#include "tlsbind.h"

#define REQUIRE(c)                                                            \
  do {                                                                        \
    if (!(c))                                                                 \
      ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                      \
  } while (0)

static struct ftp_tlsbind *reg;
static struct sockaddr_storage lo1, lo1_other_port, lo2, lo6;

static void setup(void) {
  ck_assert_int_eq(ftp_tlsbind_new(&reg), 0);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 2000, &lo1), 0);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 50123, &lo1_other_port), 0);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.2", 2000, &lo2), 0);
  ck_assert_int_eq(ftp_addr_from_string("::1", 2000, &lo6), 0);
}

static void teardown(void) { ftp_tlsbind_free(reg); }

static struct ftp_tlsbind_key key(const char *id) {
  struct ftp_tlsbind_key k;

  REQUIRE(ftp_tlsbind_key_of(id, strlen(id), &k) == 0);
  return k;
}

static struct ftp_tlsbind_scope *scope(const char *user, const struct sockaddr_storage *a) {
  struct ftp_tlsbind_scope *sc;

  ck_assert_int_eq(ftp_tlsbind_scope_new(reg, &sc), 0);
  if (user != NULL)
    ck_assert_int_eq(ftp_tlsbind_scope_set_principal(sc, user, 0, a), 0);
  return sc;
}

static void ticket(struct ftp_tlsbind_scope *sc, const char *id) {
  struct ftp_tlsbind_key k = key(id);
  ck_assert_int_eq(ftp_tlsbind_record(sc, FTP_TLSBIND_TICKET, &k, NULL, 0, 0), 0);
}

static enum ftp_tlsbind_verdict judge(const struct ftp_tlsbind_scope *own, const char *id) {
  struct ftp_tlsbind_key k = key(id);
  return ftp_tlsbind_judge(own, FTP_TLSBIND_TICKET, &k, 1000, NULL);
}

/* --- the binding table ---------------------------------------------------- */

START_TEST(test_table) {
  struct ftp_tlsbind_scope *own = scope("alice", &lo1);
  struct ftp_tlsbind_scope *sib = scope("alice", &lo1_other_port);
  struct ftp_tlsbind_scope *bob = scope("bob", &lo1);
  struct ftp_tlsbind_scope *far = scope("alice", &lo2);
  struct ftp_tlsbind_scope *v6 = scope("alice", &lo6);
  struct ftp_tlsbind_scope *anon = scope(NULL, NULL);
  struct ftp_tlsbind_scope *gone = scope("alice", &lo1);

  ticket(own, "t-own");
  ticket(sib, "t-sib");
  ticket(bob, "t-bob");
  ticket(far, "t-far");
  ticket(v6, "t-v6");
  ticket(anon, "t-nologin");
  ticket(gone, "t-gone");
  ftp_tlsbind_scope_end(gone);
  ck_assert_int_eq(judge(own, "t-own"), FTP_TLSBIND_OWN);
  ck_assert_int_eq(judge(own, "t-sib"), FTP_TLSBIND_SIBLING);
  ck_assert_int_eq(judge(own, "t-bob"), FTP_TLSBIND_OTHER_USER);
  ck_assert_int_eq(judge(own, "t-far"), FTP_TLSBIND_OTHER_ADDRESS);
  ck_assert_int_eq(judge(own, "t-v6"), FTP_TLSBIND_OTHER_ADDRESS);
  /* Not logged in yet: its first login will tell. */
  ck_assert_int_eq(judge(own, "t-nologin"), FTP_TLSBIND_PENDING);
  ck_assert(!ftp_tlsbind_accepts(FTP_TLSBIND_PENDING));
  ck_assert_int_eq(judge(own, "t-gone"), FTP_TLSBIND_UNKNOWN);
  ck_assert_int_eq(judge(own, "never-issued"), FTP_TLSBIND_UNKNOWN);
  /* The relation is symmetric between siblings, and a scope without a
   * principal accepts its own sessions only. */
  ck_assert_int_eq(judge(sib, "t-own"), FTP_TLSBIND_SIBLING);
  ck_assert_int_eq(judge(anon, "t-nologin"), FTP_TLSBIND_OWN);
  ck_assert_int_eq(judge(anon, "t-own"), FTP_TLSBIND_OTHER_USER);
  /* The pending scope logs in: as alice from our address, a sibling. */
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(anon, "alice", 0, &lo1), 0);
  ck_assert_int_eq(judge(own, "t-nologin"), FTP_TLSBIND_SIBLING);
  /* A scope that ended judges nothing acceptable, not even its own. */
  ck_assert_int_eq(judge(gone, "t-own"), FTP_TLSBIND_UNKNOWN);
  /* User names compare exactly. */
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(bob, "Alice", 0, &lo1), 0);
  ck_assert_int_eq(judge(own, "t-bob"), FTP_TLSBIND_OTHER_USER);
  ftp_tlsbind_scope_free(gone);
}
END_TEST

START_TEST(test_anonymous) {
  struct ftp_tlsbind_scope *a = scope(NULL, NULL), *b = scope(NULL, NULL);
  struct ftp_tlsbind_scope *ftp = scope("ftp", &lo1);

  /* Two anonymous logins with different names are the same account; an
   * account named like the anonymous name is not. */
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(a, "anonymous", 1, &lo1), 0);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(b, "ftp", 1, &lo1), 0);
  ticket(b, "t-b");
  ticket(ftp, "t-ftp");
  ck_assert_int_eq(judge(a, "t-b"), FTP_TLSBIND_SIBLING);
  ck_assert_int_eq(judge(a, "t-ftp"), FTP_TLSBIND_OTHER_USER);
}
END_TEST

/* A scope pending on a login: logging in settles it either way; a refused
 * login (a name too long) and a logout after a login settle it as refused. */
START_TEST(test_pending_settles) {
  struct ftp_tlsbind_scope *own = scope("alice", &lo1);
  struct ftp_tlsbind_scope *a = scope(NULL, NULL), *b = scope(NULL, NULL);
  struct ftp_tlsbind_scope *c = scope(NULL, NULL), *d = scope(NULL, NULL);
  char longname[FTP_USER_MAX + 2];

  ticket(a, "a");
  ticket(b, "b");
  ticket(c, "c");
  ticket(d, "d");
  ck_assert_int_eq(judge(own, "a"), FTP_TLSBIND_PENDING);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(a, "bob", 0, &lo1), 0);
  ck_assert_int_eq(judge(own, "a"), FTP_TLSBIND_OTHER_USER);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(b, "alice", 0, &lo2), 0);
  ck_assert_int_eq(judge(own, "b"), FTP_TLSBIND_OTHER_ADDRESS);
  memset(longname, 'x', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = 0;
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(c, longname, 0, &lo1), FTP_E_TOOBIG);
  ck_assert_int_eq(judge(own, "c"), FTP_TLSBIND_OTHER_USER);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(d, "alice", 0, &lo1), 0);
  ftp_tlsbind_scope_clear_principal(d);
  ck_assert_int_eq(judge(own, "d"), FTP_TLSBIND_OTHER_USER);
  /* A scope not logged in whose control connection is known to come from
   * another address: refused at once, its login could not change that. */
  {
    struct ftp_tlsbind_scope *e = scope(NULL, NULL), *f = scope(NULL, NULL);
    ftp_tlsbind_scope_set_peer(e, &lo2);
    ftp_tlsbind_scope_set_peer(f, &lo1_other_port);
    ticket(e, "e");
    ticket(f, "f");
    ck_assert_int_eq(judge(own, "e"), FTP_TLSBIND_OTHER_ADDRESS);
    ck_assert_int_eq(judge(own, "f"), FTP_TLSBIND_PENDING);
  }
  /* A scope that never logged in judges nobody else's session pending:
   * it has no data connections to bind. */
  ck_assert_int_eq(judge(scope(NULL, NULL), "a"), FTP_TLSBIND_OTHER_USER);
}
END_TEST

static int changes;
static void count_change(void *arg) {
  ck_assert_ptr_eq(arg, &changes);
  changes++;
}

/* The change callback: on every login, logout and end, and only then. */
START_TEST(test_change_callback) {
  struct ftp_tlsbind_scope *sc;

  changes = 0;
  ftp_tlsbind_on_change(reg, count_change, &changes);
  sc = scope(NULL, NULL);
  ticket(sc, "x");
  ck_assert_int_eq(changes, 0);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(sc, "alice", 0, &lo1), 0);
  ck_assert_int_eq(changes, 1);
  ftp_tlsbind_scope_clear_principal(sc);
  ck_assert_int_eq(changes, 2);
  ftp_tlsbind_scope_clear_principal(sc); /* nothing to clear: no change */
  ck_assert_int_eq(changes, 2);
  ftp_tlsbind_scope_end(sc);
  ck_assert_int_eq(changes, 3);
  ftp_tlsbind_scope_free(sc);
  ck_assert_int_eq(changes, 3);
  ftp_tlsbind_on_change(reg, NULL, NULL);
}
END_TEST

START_TEST(test_principal_changes) {
  struct ftp_tlsbind_scope *own = scope("alice", &lo1), *other = scope("alice", &lo1);
  char longname[FTP_USER_MAX + 2];

  ticket(other, "t");
  ck_assert_int_eq(judge(own, "t"), FTP_TLSBIND_SIBLING);
  /* REIN on the other session: it is nobody's until it logs in again. */
  ftp_tlsbind_scope_clear_principal(other);
  ck_assert_int_eq(judge(own, "t"), FTP_TLSBIND_OTHER_USER);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(other, "bob", 0, &lo1), 0);
  ck_assert_int_eq(judge(own, "t"), FTP_TLSBIND_OTHER_USER);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(other, "alice", 0, &lo1), 0);
  ck_assert_int_eq(judge(own, "t"), FTP_TLSBIND_SIBLING);
  /* REIN on our own side: siblings no more, our own sessions still. */
  ticket(own, "mine");
  ftp_tlsbind_scope_clear_principal(own);
  ck_assert_int_eq(judge(own, "t"), FTP_TLSBIND_OTHER_USER);
  ck_assert_int_eq(judge(own, "mine"), FTP_TLSBIND_OWN);
  /* A name too long leaves no principal. */
  memset(longname, 'x', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = 0;
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(other, longname, 0, &lo1), FTP_E_TOOBIG);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(own, "alice", 0, &lo1), 0);
  ck_assert_int_eq(judge(own, "t"), FTP_TLSBIND_OTHER_USER);
}
END_TEST

/* An identity held by several scopes (a control connection that resumed
 * another's session): the best verdict over its live holders counts. */
START_TEST(test_shared_identity) {
  struct ftp_tlsbind_scope *own = scope("alice", &lo1), *bob = scope("bob", &lo1);
  struct ftp_tlsbind_scope *sib = scope("alice", &lo1);

  ticket(bob, "shared");
  ck_assert_int_eq(judge(own, "shared"), FTP_TLSBIND_OTHER_USER);
  ticket(sib, "shared");
  ck_assert_int_eq(judge(own, "shared"), FTP_TLSBIND_SIBLING);
  ticket(own, "shared");
  ck_assert_int_eq(judge(own, "shared"), FTP_TLSBIND_OWN);
  ck_assert_int_eq(judge(bob, "shared"), FTP_TLSBIND_OWN);
  ftp_tlsbind_scope_end(own);
  ftp_tlsbind_scope_end(sib);
  ck_assert_int_eq(judge(bob, "shared"), FTP_TLSBIND_OWN);
  ftp_tlsbind_scope_free(own);
  ftp_tlsbind_scope_free(sib);
}
END_TEST

/* --- records -------------------------------------------------------------- */

START_TEST(test_ticket_quota) {
  struct ftp_tlsbind_scope *own = scope("alice", &lo1);
  char id[32];
  int i;

  for (i = 0; i < FTP_TLS_TICKETS_PER_SCOPE + 3; i++) {
    snprintf(id, sizeof(id), "ticket-%d", i);
    ticket(own, id);
  }
  ck_assert_uint_eq(ftp_tlsbind_records(reg), FTP_TLS_TICKETS_PER_SCOPE);
  /* The three oldest are forgotten, the newest 16 kept. */
  for (i = 0; i < FTP_TLS_TICKETS_PER_SCOPE + 3; i++) {
    snprintf(id, sizeof(id), "ticket-%d", i);
    REQUIRE(judge(own, id) == (i < 3 ? FTP_TLSBIND_UNKNOWN : FTP_TLSBIND_OWN));
  }
  /* The same ticket again takes no second slot. */
  ticket(own, "ticket-18");
  ck_assert_uint_eq(ftp_tlsbind_records(reg), FTP_TLS_TICKETS_PER_SCOPE);
  ck_assert_int_eq(judge(own, "ticket-3"), FTP_TLSBIND_OWN);
}
END_TEST

START_TEST(test_session_cache) {
  struct ftp_tlsbind_scope *own = scope("alice", &lo1), *bob = scope("bob", &lo1);
  struct ftp_tlsbind_found f;
  struct ftp_tlsbind_key k = key("sid-1"), kb = key("sid-bob");
  char id[32];
  int i;

  ck_assert_int_eq(ftp_tlsbind_record(own, FTP_TLSBIND_SESSION_ID, &k, "DATA1", 5, 2000), 0);
  ck_assert_int_eq(ftp_tlsbind_record(bob, FTP_TLSBIND_SESSION_ID, &kb, "DATAB", 5, 2000), 0);
  ck_assert_int_eq(ftp_tlsbind_judge(own, FTP_TLSBIND_SESSION_ID, &k, 1000, &f), FTP_TLSBIND_OWN);
  ck_assert_uint_eq(f.len, 5);
  ck_assert_int_eq(memcmp(f.data, "DATA1", 5), 0);
  ck_assert_int_eq(f.expires, 2000);
  /* A ticket of the same bytes is another identity. */
  ck_assert_int_eq(ftp_tlsbind_judge(own, FTP_TLSBIND_TICKET, &k, 1000, &f), FTP_TLSBIND_UNKNOWN);
  ck_assert_ptr_null(f.data);
  /* Another user's: refused, and its data not handed out. */
  ck_assert_int_eq(ftp_tlsbind_judge(own, FTP_TLSBIND_SESSION_ID, &kb, 1000, &f),
                   FTP_TLSBIND_OTHER_USER);
  ck_assert_ptr_null(f.data);
  /* The control connection may resume any: lookup. */
  ck_assert_int_eq(ftp_tlsbind_lookup(reg, FTP_TLSBIND_SESSION_ID, &kb, 1000, &f), 1);
  ck_assert_int_eq(memcmp(f.data, "DATAB", 5), 0);
  /* Expired at 2000. */
  ck_assert_int_eq(ftp_tlsbind_judge(own, FTP_TLSBIND_SESSION_ID, &k, 2000, &f),
                   FTP_TLSBIND_UNKNOWN);
  ck_assert_int_eq(ftp_tlsbind_lookup(reg, FTP_TLSBIND_SESSION_ID, &k, 2000, &f), 0);
  /* A quota of its own: tickets do not push cache entries out. */
  for (i = 0; i < 40; i++) {
    snprintf(id, sizeof(id), "t%d", i);
    ticket(own, id);
  }
  ck_assert_int_eq(ftp_tlsbind_judge(own, FTP_TLSBIND_SESSION_ID, &k, 1000, &f), FTP_TLSBIND_OWN);
  for (i = 0; i < FTP_TLS_CACHE_PER_SCOPE; i++) {
    struct ftp_tlsbind_key ki;
    snprintf(id, sizeof(id), "sid-new-%d", i);
    ki = key(id);
    ck_assert_int_eq(ftp_tlsbind_record(own, FTP_TLSBIND_SESSION_ID, &ki, "x", 1, 0), 0);
  }
  ck_assert_int_eq(ftp_tlsbind_judge(own, FTP_TLSBIND_SESSION_ID, &k, 1000, &f),
                   FTP_TLSBIND_UNKNOWN);
}
END_TEST

/* Many scopes and records: the table grows, every record is found, and
 * ending the scopes empties it. */
START_TEST(test_many) {
  enum { N = 3000 };
  static struct ftp_tlsbind_scope *sc[N];
  char id[32];
  int i, t;

  for (i = 0; i < N; i++) {
    sc[i] = scope(i % 2 ? "alice" : "bob", &lo1);
    for (t = 0; t < 3; t++) {
      snprintf(id, sizeof(id), "s%d-t%d", i, t);
      ticket(sc[i], id);
    }
  }
  ck_assert_uint_eq(ftp_tlsbind_scopes(reg), N);
  ck_assert_uint_eq(ftp_tlsbind_records(reg), 3 * N);
  for (i = 0; i < N; i++) {
    snprintf(id, sizeof(id), "s%d-t%d", i, i % 3);
    REQUIRE(judge(sc[i], id) == FTP_TLSBIND_OWN);
    REQUIRE(judge(sc[(i + 2) % N], id) == FTP_TLSBIND_SIBLING);
    REQUIRE(judge(sc[(i + 1) % N], id) == FTP_TLSBIND_OTHER_USER);
  }
  for (i = 0; i < N; i++)
    ftp_tlsbind_scope_free(sc[i]);
  ck_assert_uint_eq(ftp_tlsbind_scopes(reg), 0);
  ck_assert_uint_eq(ftp_tlsbind_records(reg), 0);
}
END_TEST

START_TEST(test_ended_scope) {
  struct ftp_tlsbind_scope *sc = scope("alice", &lo1);
  struct ftp_tlsbind_key k = key("x");

  ticket(sc, "x");
  ftp_tlsbind_scope_end(sc);
  ftp_tlsbind_scope_end(sc); /* idempotent */
  ck_assert(!ftp_tlsbind_scope_live(sc));
  ck_assert_uint_eq(ftp_tlsbind_records(reg), 0);
  ck_assert_int_eq(ftp_tlsbind_record(sc, FTP_TLSBIND_TICKET, &k, NULL, 0, 0), UV_EINVAL);
  ck_assert_int_eq(ftp_tlsbind_scope_set_principal(sc, "alice", 0, &lo1), UV_EINVAL);
  ck_assert_int_eq(ftp_tlsbind_lookup(reg, FTP_TLSBIND_TICKET, &k, 0, NULL), 0);
  ftp_tlsbind_scope_free(sc);
  ftp_tlsbind_scope_free(NULL);
  ck_assert_int_eq(ftp_tlsbind_key_of("", 0, &k), UV_EINVAL);
}
END_TEST

/* The owner may free the registry before the last scope is freed. */
START_TEST(test_registry_outlived) {
  struct ftp_tlsbind *r2;
  struct ftp_tlsbind_scope *sc;

  ck_assert_int_eq(ftp_tlsbind_new(&r2), 0);
  ck_assert_int_eq(ftp_tlsbind_scope_new(r2, &sc), 0);
  ftp_tlsbind_free(r2);
  ck_assert_ptr_eq(ftp_tlsbind_of(sc), r2);
  ftp_tlsbind_scope_free(sc); /* frees r2 too: the sanitizer build checks */
}
END_TEST

START_TEST(test_verdict_texts) {
  enum ftp_tlsbind_verdict v;

  for (v = FTP_TLSBIND_OWN; v <= FTP_TLSBIND_NOT_RESUMED; v++) {
    ck_assert_ptr_nonnull(ftp_tlsbind_verdict_text(v));
    ck_assert_int_eq(ftp_tlsbind_accepts(v), v <= FTP_TLSBIND_SIBLING);
    ck_assert_int_eq(ftp_tlsbind_verdict_error(v) == 0, v <= FTP_TLSBIND_SIBLING);
  }
  ck_assert_int_eq(ftp_tlsbind_verdict_error(FTP_TLSBIND_NOT_RESUMED), FTP_E_TLS_NOT_RESUMED);
  ck_assert_int_eq(ftp_tlsbind_verdict_error(FTP_TLSBIND_OTHER_USER),
                   FTP_E_TLS_SESSION_OTHER_USER);
  ck_assert_int_eq(ftp_tlsbind_worse(FTP_TLSBIND_SIBLING, FTP_TLSBIND_UNKNOWN),
                   FTP_TLSBIND_UNKNOWN);
  ck_assert_int_eq(ftp_tlsbind_worse(FTP_TLSBIND_OWN, FTP_TLSBIND_SIBLING),
                   FTP_TLSBIND_SIBLING);
}
END_TEST

static Suite *tlsbind_suite(void) {
  Suite *s = suite_create("tlsbind");
  TCase *tc;

  tc = tcase_create("judge");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_table);
  tcase_add_test(tc, test_anonymous);
  tcase_add_test(tc, test_principal_changes);
  tcase_add_test(tc, test_pending_settles);
  tcase_add_test(tc, test_change_callback);
  tcase_add_test(tc, test_shared_identity);
  tcase_add_test(tc, test_verdict_texts);
  suite_add_tcase(s, tc);

  tc = tcase_create("records");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_ticket_quota);
  tcase_add_test(tc, test_session_cache);
  tcase_add_test(tc, test_many);
  tcase_add_test(tc, test_ended_scope);
  tcase_add_test(tc, test_registry_outlived);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(tlsbind_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
