#!/usr/bin/env bash
# Installs (only when missing) what the registry tests need (tests/Berth.Tests.Docker/Infrastructure/
# LoopbackRegistry.cs): Debian's `docker-registry` (the Distribution registry 2.8, the real server a
# pull talks to) and `apache2-utils` for `htpasswd -B` (the registry accepts only bcrypt htpasswd
# entries). The packaged systemd unit is not used: each test starts its own server on a free loopback
# port with its own storage, so nothing here is started or enabled.
set -euo pipefail

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "ensure-registry: installing ${missing[*]}"
sudo_prefix=()
if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
apt_get() { DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get -o DPkg::Lock::Timeout=600 "$@"; }
apt_get update -qq
# policy-rc.d or not, the package's own service must not grab 127.0.0.1:5000 on a test machine.
apt_get install -y -qq --no-install-recommends "${missing[@]}"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  "${sudo_prefix[@]}" systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
fi
