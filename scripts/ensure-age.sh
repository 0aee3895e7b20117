#!/usr/bin/env bash
# Installs (only when missing) Debian's age package: `age` and `age-keygen`, the reference age
# implementation berth runs to open the data keys of SOPS-encrypted files (docs/secrets.md). The
# SOPS tests (Pure, Docker) encrypt and decrypt with them; the .deb depends on the package.
set -euo pipefail

if command -v age >/dev/null 2>&1 && command -v age-keygen >/dev/null 2>&1; then
  exit 0
fi

echo "ensure-age: installing age"
sudo_prefix=()
if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
"${sudo_prefix[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends age
