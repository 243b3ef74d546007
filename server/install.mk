# install.mk: `make install` and `make uninstall`, included by the top
# Makefile.
#
#   make install [DESTDIR=/stage] [PREFIX=/usr/local] [SYSCONFDIR=/etc] ...
#
# Programs, man pages, samples, systemd units and the sysusers.d file are
# ours: install replaces them and uninstall removes them.  Files below
# SYSCONFDIR (the members, PAM, logrotate and fail2ban files) belong to the
# administrator once installed: install writes each only when it is absent,
# and uninstall removes it only when it is still exactly what install
# wrote; a changed or pre-existing one stays, and both say so.

BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/ftpd
HOOKDIR ?= $(PREFIX)/lib/ftpd
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

# Files that name installed paths are written here first, with @SBINDIR@,
# @SYSCONFDIR@ and @HOOKDIR@ filled in (and the samples' /etc/ with
# SYSCONFDIR); uninstall compares the administrator's files with them.
GEN := $(O)/install
SUBST = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	-e 's|@HOOKDIR@|$(HOOKDIR)|g'
SUBST_ETC = sed -e 's|/etc/ftp|$(SYSCONFDIR)/ftp|g'

UNITS := ftpd.service ftpd.socket ftpd-implicit.socket
SAMPLES := $(wildcard ftpdata/*.data) ftpdata/haproxy.cfg
MAN1 := client/ftp.1 server/ftpcert/ftpcert.1
MAN5 := ftpdata/ftp.data.5
MAN8 := server/ftpd.8

# The administrator's files: "installed path  source", one pair a word.
ETC_FILES := \
	$(SYSCONFDIR)/ftp.data:ftpdata/ftp.data \
	$(SYSCONFDIR)/ftpd/ftpd.data:ftpdata/production.data \
	$(SYSCONFDIR)/pam.d/ftpd:server/ftpd.pam \
	$(SYSCONFDIR)/logrotate.d/ftpd:server/ftpd.logrotate \
	$(SYSCONFDIR)/fail2ban/filter.d/ftpd.conf:server/ftpd.fail2ban-filter \
	$(SYSCONFDIR)/fail2ban/jail.d/ftpd.conf:server/ftpd.fail2ban-jail

.PHONY: install-gen

install-gen:
	@rm -rf $(GEN) && mkdir -p $(GEN)/etc
	@for u in $(UNITS); do $(SUBST) server/$$u > $(GEN)/$$u; done
	@$(SUBST) server/ftpd-certbot-hook > $(GEN)/ftpd-certbot-hook
	@for pair in $(ETC_FILES); do \
	  dst=$${pair%%:*}; src=$${pair#*:}; \
	  mkdir -p "$(GEN)/etc$$(dirname "$$dst")"; \
	  $(SUBST_ETC) "$$src" > "$(GEN)/etc$$dst"; \
	done

install: all install-gen
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(HOOKDIR) $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(FTPD) $(DESTDIR)$(SBINDIR)/ftpd
	install -m 0755 $(FTP) $(DESTDIR)$(BINDIR)/ftp
	install -m 0755 $(FTPCERT) $(DESTDIR)$(BINDIR)/ftpcert
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(SAMPLES) README $(DESTDIR)$(DOCDIR)/
	install -m 0755 $(GEN)/ftpd-certbot-hook $(DESTDIR)$(HOOKDIR)/ftpd-certbot-hook
	install -m 0644 $(UNITS:%=$(GEN)/%) $(DESTDIR)$(UNITDIR)/
	install -m 0644 server/ftpd.sysusers $(DESTDIR)$(SYSUSERSDIR)/ftpd.conf
	@for pair in $(ETC_FILES); do \
	  dst=$${pair%%:*}; \
	  if [ -e "$(DESTDIR)$$dst" ] || [ -L "$(DESTDIR)$$dst" ]; then \
	    echo "install: $(DESTDIR)$$dst exists: kept as it is"; \
	  else \
	    echo "install -D -m 0644 $(GEN)/etc$$dst $(DESTDIR)$$dst"; \
	    install -D -m 0644 "$(GEN)/etc$$dst" "$(DESTDIR)$$dst" || exit 1; \
	  fi; \
	done

uninstall: install-gen
	rm -f $(DESTDIR)$(SBINDIR)/ftpd $(DESTDIR)$(BINDIR)/ftp $(DESTDIR)$(BINDIR)/ftpcert
	rm -f $(foreach m,$(MAN1),$(DESTDIR)$(MANDIR)/man1/$(notdir $(m))) \
	  $(DESTDIR)$(MANDIR)/man5/$(notdir $(MAN5)) $(DESTDIR)$(MANDIR)/man8/$(notdir $(MAN8))
	rm -f $(foreach f,$(SAMPLES) README,$(DESTDIR)$(DOCDIR)/$(notdir $(f)))
	rm -f $(DESTDIR)$(HOOKDIR)/ftpd-certbot-hook $(UNITS:%=$(DESTDIR)$(UNITDIR)/%) \
	  $(DESTDIR)$(SYSUSERSDIR)/ftpd.conf
	@for pair in $(ETC_FILES); do \
	  dst=$${pair%%:*}; \
	  if cmp -s "$(GEN)/etc$$dst" "$(DESTDIR)$$dst"; then \
	    echo "rm -f $(DESTDIR)$$dst"; rm -f "$(DESTDIR)$$dst"; \
	  elif [ -e "$(DESTDIR)$$dst" ]; then \
	    echo "uninstall: $(DESTDIR)$$dst differs from what install wrote: kept"; \
	  fi; \
	done
	-@rmdir $(DESTDIR)$(DOCDIR) $(DESTDIR)$(HOOKDIR) $(DESTDIR)$(SYSCONFDIR)/ftpd 2>/dev/null
