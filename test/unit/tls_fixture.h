/*
 * tls_fixture.h: throwaway certificates for the suites that run real TLS
 * over loopback (chan, dataconn).  Made with the GnuTLS API into a fresh
 * temporary directory: an ECDSA P-256 CA, a server certificate it signs for
 * "localhost" and 127.0.0.1, and a client certificate (O=Example, CN=alice).
 */
#ifndef TEST_TLS_FIXTURE_H
#define TEST_TLS_FIXTURE_H


struct tls_fixture {
  char dir[256];
  char ca[300];         /* CA certificate (PEM) */
  char server[300];     /* server key + certificate + CA (our KEYRING form) */
  char client[300];     /* client key + certificate */
  char other_ca[300];   /* a CA that signed nothing we use */
};

/* Create the files; aborts the test process on failure. */
void tls_fixture_make(struct tls_fixture *f);

/* Remove the files and the directory. */
void tls_fixture_remove(struct tls_fixture *f);

#endif
