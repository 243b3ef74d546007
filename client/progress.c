/*
 * progress.c: the progress bar, hash marks and summary line.  The engine
 * calls ftpc_progress_update from a libuv timer at most ten times a second.
 */
#include "progress.h"

#include <inttypes.h>
#include <string.h>
#include <uv.h>

#define BAR_WIDTH 30

void ftpc_progress_format_rate(double v, char *out, size_t n) {
  static const char *const units[] = {"bytes", "KB", "MB", "GB", "TB"};
  int u = 0;

  while (v >= 1024.0 && u < 4) {
    v /= 1024.0;
    u++;
  }
  if (u == 0)
    snprintf(out, n, "%.0f %s", v, units[u]);
  else
    snprintf(out, n, "%.1f %s", v, units[u]);
}

void ftpc_progress_start(struct ftpc_progress *p, const char *name,
                         uint64_t total, uint64_t base) {
  snprintf(p->name, sizeof(p->name), "%s", name);
  p->total = total;
  p->base = base;
  p->start_ns = uv_hrtime();
  p->last_bytes = 0;
  p->drawn = 0;
  if (p->out == NULL)
    p->out = stderr;
  if (p->hash_size == 0)
    p->hash_size = 1024;
  p->marks = base / p->hash_size;
}

static void draw_bar(struct ftpc_progress *p, uint64_t bytes, int done) {
  double secs = (double)(uv_hrtime() - p->start_ns) / 1e9;
  double rate = secs > 0 && bytes > p->base ? (double)(bytes - p->base) / secs : 0;
  char sz[32], rt[32], eta[32] = "";
  char bar[BAR_WIDTH + 1];
  int pct = -1, fill = 0, i;

  if (p->total > 0) {
    pct = (int)(bytes >= p->total ? 100 : bytes * 100 / p->total);
    fill = pct * BAR_WIDTH / 100;
  }
  for (i = 0; i < BAR_WIDTH; i++)
    bar[i] = i < fill ? '*' : ' ';
  bar[BAR_WIDTH] = 0;
  ftpc_progress_format_rate((double)bytes, sz, sizeof(sz));
  ftpc_progress_format_rate(rate, rt, sizeof(rt));
  if (!done && p->total > bytes && rate > 0) {
    uint64_t left = (uint64_t)((double)(p->total - bytes) / rate);
    snprintf(eta, sizeof(eta), " %02" PRIu64 ":%02" PRIu64 " ETA", left / 60, left % 60);
  } else if (done) {
    uint64_t s = (uint64_t)secs;
    snprintf(eta, sizeof(eta), " %02" PRIu64 ":%02" PRIu64 "    ", s / 60, s % 60);
  }
  if (pct >= 0)
    fprintf(p->out, "\r%-20.20s %3d%% |%s| %10s %10s/s%s", p->name, pct, bar, sz, rt, eta);
  else
    fprintf(p->out, "\r%-20.20s      %10s %10s/s%s", p->name, sz, rt, eta);
  p->drawn = 1;
}

static void draw_hash(struct ftpc_progress *p, uint64_t bytes) {
  uint64_t want = bytes / p->hash_size;

  for (; p->marks < want; p->marks++)
    fputc('#', p->out);
}

void ftpc_progress_update(void *arg, uint64_t bytes, int done) {
  struct ftpc_progress *p = arg;

  p->last_bytes = bytes;
  if (p->hash)
    draw_hash(p, bytes);
  if (p->bar && !p->hash)
    draw_bar(p, bytes, done);
  if (done && (p->drawn || p->marks > 0))
    fputc('\n', p->out);
  fflush(p->out);
}

void ftpc_progress_summary(FILE *f, uint64_t bytes, double seconds,
                           const char *direction, const char *desc, int full) {
  char rate[32], shortdesc[96];
  const char *space;

  ftpc_progress_format_rate(seconds > 0 ? (double)bytes / seconds : 0, rate, sizeof(rate));
  if (full || strncmp(desc, "TLS", 3) != 0) {
    snprintf(shortdesc, sizeof(shortdesc), "%s", desc);
  } else {
    space = strchr(desc, ' ');
    snprintf(shortdesc, sizeof(shortdesc), "%.*s%s",
             (int)(space != NULL ? (size_t)(space - desc) : strlen(desc)), desc,
             strstr(desc, "resumed") != NULL ? " resumed" : "");
  }
  fprintf(f, "%" PRIu64 " bytes %s in %.2f secs (%s/s), %s\n", bytes, direction,
          seconds, rate, shortdesc);
  fflush(f);
}
