#!/usr/bin/env bash
# Installs (only when missing) Debian's docker-compose (1.29): the Compose-equivalence tests deploy the
# same files with it and with berth and compare what the engine holds (tests/Berth.Tests.Docker/
# ComposeEquivalence). The benchmarks compare against it too (bench/).
set -euo pipefail

if ! command -v docker-compose >/dev/null 2>&1; then
  echo "ensure-compose: installing docker-compose"
  sudo_prefix=()
  if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
  "${sudo_prefix[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends docker-compose
fi
echo "ensure-compose: $(docker-compose version --short 2>/dev/null || docker-compose --version)"
