/*
 * alloc_fail.h: allocation-failure injection for unit suites.
 *
 * A suite linked with -Wl,--wrap=malloc -Wl,--wrap=realloc (see WRAP_<name>
 * in the Makefile) gets these wrappers: after alloc_fail_after(n), the n+1-th
 * allocation from then on fails, and so does every later one until
 * alloc_fail_off().  Production code carries no test hook.
 */
#ifndef TEST_ALLOC_FAIL_H
#define TEST_ALLOC_FAIL_H

/* Let n more allocations succeed, then fail every allocation. */
void alloc_fail_after(long n);

/* Stop failing allocations. */
void alloc_fail_off(void);

/* Allocations refused since the last alloc_fail_after(). */
long alloc_fail_count(void);

#endif
