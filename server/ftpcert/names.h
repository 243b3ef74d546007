/*
 * names.h: the names a server certificate is made for (ftpcert server DIR
 * NAME...): each is a DNS name or an IP address, and becomes a subject
 * alternative name of that type.  No I/O: unit-tested (check_ftpcert).
 */
#ifndef FTPCERT_NAMES_H
#define FTPCERT_NAMES_H

#include <stddef.h>

enum ftpcert_name_kind {
  FTPCERT_NAME_BAD,
  FTPCERT_NAME_DNS,
  FTPCERT_NAME_IP
};

/*
 * ftpcert_name_classify: what name is.
 *   IP:  an IPv4 or IPv6 literal (no brackets); ip/iplen receive its 4 or
 *        16 bytes in network order (ip must hold 16).
 *   DNS: a host name of labels of letters, digits and '-' (not first or
 *        last), 1 to 63 bytes each, 253 bytes in all, with an optional
 *        leading "*." (a wildcard certificate) and no trailing dot.
 *   BAD: anything else (empty, blanks, "..", a label too long, "a_b").
 */
enum ftpcert_name_kind ftpcert_name_classify(const char *name, unsigned char *ip,
                                             size_t *iplen);

/*
 * ftpcert_parse_days: a validity period from the command line: a decimal
 * number of days, 1 to 36500.  RETURNS: 0 and *days, or -1.
 */
int ftpcert_parse_days(const char *s, unsigned *days);

#endif
