/*
 * text.h: text that came from the network or the user, made safe to show
 * and to use.
 *
 * Security: a server controls its reply texts, file names and listings.
 * Printed raw, an escape sequence in them could rewrite the terminal (move
 * the cursor, set the title, fake a prompt).  Everything the client shows
 * that it did not write itself goes through ftpc_text_clean().  This module
 * does no I/O except ftpc_text_print.
 */
#ifndef FTPC_TEXT_H
#define FTPC_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * ftpc_text_clean: copy n bytes of in to out (outn bytes, NUL-terminated,
 * truncated if needed) with every control character (below 0x20, and 0x7f)
 * replaced by '?'.  keep_newlines: '\n' is kept (multi-line replies) and a
 * '\r' just before it dropped; otherwise a newline becomes '?' too.  Tabs
 * are kept.
 * RETURNS: the length of out.
 */
size_t ftpc_text_clean(const char *in, size_t n, char *out, size_t outn,
                       int keep_newlines);

/* ftpc_text_print: write n bytes to f, cleaned as above (streaming: no
 * length limit). */
void ftpc_text_print(FILE *f, const char *in, size_t n, int keep_newlines);

/*
 * ftpc_text_first_line: the first line of s (up to '\n'), cleaned, into
 * out.  For one-line error messages built from multi-line replies.
 */
void ftpc_text_first_line(const char *s, char *out, size_t outn);

/*
 * ftpc_text_reply_size: the "(N bytes)" many servers put in a 150 reply
 * (vsftpd, ProFTPD, ftpd).  RETURNS: N, or 0 when absent.
 */
unsigned long long ftpc_text_reply_size(const char *text);

#endif
