/*
 * session_tree.h: the throwaway directory tree that fuzz_session's users
 * log in to, and the confinement checks around it.
 *
 * Under a fresh directory D (made once per process):
 *   D/root/     the users' home: files, directories, a read-only file, a
 *               FIFO, and symlinks inside and out of the root (`escape` ->
 *               ../outside, `escape-file` -> ../outside/canary, `abs-escape`
 *               -> /etc/passwd); rebuilt before every input, so that what
 *               one input created cannot change what the next one sees.
 *   D/outside/  a directory beside the root holding one canary file of
 *               FUZZ_CANARY_SIZE bytes; no session may ever see, change or
 *               add to anything here.
 * The rest of D (certificates, the USERFILE, members) belongs to the
 * harness.
 *
 * inotify watches D, D/outside, the canary and every directory of the
 * root, so that checking is one read: any event beside the root (a file
 * made, removed, renamed or changed; the canary even opened or read) is a
 * breach, and the root is rebuilt only after an input changed it.
 */
#ifndef FUZZ_SESSION_TREE_H
#define FUZZ_SESSION_TREE_H

#include <stddef.h>

/* A size no file inside the root has: a reply that shows it leaked the
 * canary's metadata through the confinement. */
#define FUZZ_CANARY_SIZE 31337

/* tree_setup: make D under $TMPDIR (or /tmp) and the canary; aborts on
 * failure.  Returns D (static storage). */
const char *tree_setup(void);

/* tree_root: D/root. */
const char *tree_root(void);

/* tree_reset: make D/root as built, if the last input changed it; aborts
 * on failure. */
void tree_reset(void);

/* tree_seal: the harness has put all its files in D: from now on, nothing
 * may appear in D or change beside the root. */
void tree_seal(void);

/* tree_check: after an input: abort on any event beside the root (naming
 * it), and note whether the root changed. */
void tree_check(void);

/* tree_remove: remove D and everything under it (at exit). */
void tree_remove(void);

#endif
