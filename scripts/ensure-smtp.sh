#!/usr/bin/env bash
# Installs (only when missing) the SMTP server the e-mail notification tests start on loopback:
# Debian's python3-aiosmtpd, run with /usr/bin/python3 (a python3 earlier on PATH, e.g. pyenv's, does not see it) (`/usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c aiosmtpd.handlers.Mailbox DIR`).
# It runs as the test's child process, listens only where the test says and stores what it receives in
# a maildir the test reads: no system mail configuration is touched (unlike exim4 or postfix).
set -euo pipefail

if ! /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1; then
  echo "ensure-smtp: installing python3-aiosmtpd"
  sudo_prefix=()
  if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
  "${sudo_prefix[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends python3-aiosmtpd
fi
echo "ensure-smtp: aiosmtpd $(/usr/bin/python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)')"
