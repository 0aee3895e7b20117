#!/usr/bin/env bash
# Installs (only when missing) what the fault suite's second Docker engines need to run in a network
# namespace of their own (tests/Berth.Tests.Faults/EngineFaults/SecondEngine.cs, chaos/soak.sh):
# `ip` (iproute2: ip netns add/del) and `nsenter` (util-linux). docker.io does not depend on iproute2,
# so a minimal Debian can lack it.
set -euo pipefail

missing=()
[ -x /usr/sbin/ip ] || [ -x /sbin/ip ] || missing+=(iproute2)
[ -x /usr/bin/nsenter ] || missing+=(util-linux)

if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-netns-tools: installing ${missing[*]}"
  sudo_prefix=()
  if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
  "${sudo_prefix[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "ensure-netns-tools: $(ip -V 2>&1), $(nsenter --version 2>&1)"
