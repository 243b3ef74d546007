/*
 * alloc_fail.c: the malloc/realloc wrappers behind alloc_fail.h.  Each test
 * runs in its own forked process (CK_FORK), so the counters never leak
 * between tests.
 */
#include "alloc_fail.h"

#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);

static long budget = -1; /* -1: never fail */
static long refused;

void alloc_fail_after(long n) {
  budget = n;
  refused = 0;
}

void alloc_fail_off(void) { budget = -1; }

long alloc_fail_count(void) { return refused; }

static int should_fail(void) {
  if (budget < 0)
    return 0;
  if (budget == 0) {
    refused++;
    return 1;
  }
  budget--;
  return 0;
}

void *__wrap_malloc(size_t n) {
  return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_realloc(void *p, size_t n) {
  return should_fail() ? NULL : __real_realloc(p, n);
}
