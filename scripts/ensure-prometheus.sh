#!/usr/bin/env bash
# Installs (only when missing) Debian's prometheus package: the real Prometheus server the metrics
# test starts on loopback (tests/Berth.Tests.Prometheus) and promtool, which checks the alerting rules
# in packaging/prometheus/. The package's own systemd service is not used: on a machine without
# systemd as PID 1 it does not start, and the tests start their own server on a free port anyway.
set -euo pipefail

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)

if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-prometheus: installing prometheus from Debian"
  sudo_prefix=()
  if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
  "${sudo_prefix[@]}" apt-get update -qq
  # --no-install-recommends: the recommended exporters and the web console are not needed.
  DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends prometheus
fi
echo "ensure-prometheus: $(prometheus --version 2>&1 | head -1)"
