/*
 * progress.h: what the user sees of a transfer while and after it runs:
 * a one-line progress bar (bytes, percent, rate, ETA) on a terminal, BSD
 * ftp's hash marks ('#' per hash_size bytes), and the summary line
 *   12345 bytes received in 0.10 secs (120.6 KB/s), TLS1.3 resumed
 * Everything goes to stderr, so that stdout carries only what was asked
 * for (listings, files written to "-").
 */
#ifndef FTPC_PROGRESS_H
#define FTPC_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ftpc_progress {
  int bar;             /* draw the bar */
  int hash;            /* print hash marks */
  size_t hash_size;    /* bytes per mark (1024 by default) */
  FILE *out;           /* stderr */

  /* per transfer */
  char name[64];
  uint64_t total;      /* expected bytes of this transfer, 0 unknown */
  uint64_t base;       /* bytes already there before it (reget) */
  uint64_t start_ns;
  uint64_t last_bytes;
  uint64_t marks;
  int drawn;
};

/* ftpc_progress_start: a new transfer of name (total 0 if unknown), with
 * base bytes already in place (reget): they count for the percentage,
 * not for the rate. */
void ftpc_progress_start(struct ftpc_progress *p, const char *name,
                         uint64_t total, uint64_t base);

/* ftpc_progress_update: bytes moved so far; done ends the line.  Fits
 * ftpc_progress_fn (engine.h) with p as the argument. */
void ftpc_progress_update(void *p, uint64_t bytes, int done);

/*
 * ftpc_progress_format_rate: "120.6 KB" style (1024 base) into out.
 * ftpc_progress_summary: the summary line, to f.  desc is the data
 * connection's description ("TLS1.3 AES-128-GCM, resumed", "clear");
 * full: print it whole (-v) rather than "TLS1.3 resumed".
 */
void ftpc_progress_format_rate(double bytes_per_s, char *out, size_t n);
void ftpc_progress_summary(FILE *f, uint64_t bytes, double seconds,
                           const char *direction, const char *desc, int full);

#endif
