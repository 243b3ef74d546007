/*
 * fuzz_check.h: what every libFuzzer harness shares: its entry point's
 * prototype, and CHECK, which aborts (a crash libFuzzer records, with its
 * input) when an invariant of the code under test does not hold.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                              \
  do {                                                                        \
    if (!(c))                                                                 \
      abort();                                                                \
  } while (0)

#endif
