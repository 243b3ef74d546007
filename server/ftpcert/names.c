/*
 * names.c: classify certificate names and parse validity periods.
 */
#include "names.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* RFC 1035 section 2.3.4 and RFC 1123 section 2.1: host names. */
#define LABEL_MAX 63
#define NAME_MAX_LEN 253

static int is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-';
}

static int valid_dns(const char *name) {
  const char *p = name;
  size_t label = 0;

  if (strncmp(p, "*.", 2) == 0)
    p += 2;
  if (*p == 0 || strlen(name) > NAME_MAX_LEN)
    return 0;
  for (; *p != 0; p++) {
    if (*p == '.') {
      if (label == 0 || p[-1] == '-' || p[1] == 0)
        return 0;
      label = 0;
      continue;
    }
    if (!is_ldh(*p) || (label == 0 && *p == '-') || ++label > LABEL_MAX)
      return 0;
  }
  return p[-1] != '-';
}

enum ftpcert_name_kind ftpcert_name_classify(const char *name, unsigned char *ip,
                                             size_t *iplen) {
  if (name == NULL || name[0] == 0)
    return FTPCERT_NAME_BAD;
  if (inet_pton(AF_INET, name, ip) == 1) {
    *iplen = 4;
    return FTPCERT_NAME_IP;
  }
  if (inet_pton(AF_INET6, name, ip) == 1) {
    *iplen = 16;
    return FTPCERT_NAME_IP;
  }
  return valid_dns(name) ? FTPCERT_NAME_DNS : FTPCERT_NAME_BAD;
}

int ftpcert_parse_days(const char *s, unsigned *days) {
  char *end;
  unsigned long v;

  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoul(s, &end, 10);
  if (*end != 0 || errno != 0 || v < 1 || v > 36500)
    return -1;
  *days = (unsigned)v;
  return 0;
}
