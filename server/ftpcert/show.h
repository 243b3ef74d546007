/*
 * show.h: ftpcert show FILE: what a certificate is, and the USERFILE
 * options that let it log in.
 */
#ifndef FTPCERT_SHOW_H
#define FTPCERT_SHOW_H

#include <gnutls/x509.h>
#include <stdio.h>

/*
 * ftpcert_show: print the first certificate of the file at path (PEM, DER,
 * or PKCS#12, whose password is tried empty first, then read from
 * password_file or asked for).  RETURNS: an enum ftpcert_exit (files.h).
 */
int ftpcert_show(const char *path, const char *password_file);

/*
 * ftpcert_print_userfile: the two USERFILE options for crt, one a line, as
 * ftpd computes them (common/tls.c ftp_tls_peer_cert_id): the SHA-256 of
 * the DER certificate in lowercase hex, and the subject DN in RFC 4514
 * order (gnutls_x509_crt_get_dn3):
 *   cert-sha256=<64 hex digits>
 *   cert-dn=CN=alice
 * RETURNS: 0 or a GnuTLS error.
 */
int ftpcert_print_userfile(FILE *f, gnutls_x509_crt_t crt);

#endif
