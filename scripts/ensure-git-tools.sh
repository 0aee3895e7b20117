#!/usr/bin/env bash
# Installs (only when missing) the tools the git-source tests start as real servers on loopback:
#   git (git daemon, git http-backend, the client berth runs), openssh-server (sshd), openssh-client
#   (ssh, ssh-keygen: transport and SSH signature verification) and gnupg (GPG signature verification).
# The HTTP server in front of `git http-backend` is not a package: the tests run a small CGI bridge
# on .NET's HttpListener (tests/Berth.Tests.GitServers/Servers/GitHttpServer.cs). That keeps the
# authentication the test asserts (token and basic) in plain sight and needs no web-server config.
set -euo pipefail

declare -A package_for_command=(
  [git]=git
  [/usr/sbin/sshd]=openssh-server
  [ssh]=openssh-client
  [ssh-keygen]=openssh-client
  [gpg]=gnupg
  [gpgconf]=gnupg
)

missing=()
for command in "${!package_for_command[@]}"; do
  if ! command -v "$command" >/dev/null 2>&1; then
    missing+=("${package_for_command[$command]}")
  fi
done
# git http-backend ships with git but lives outside PATH.
if [ ! -x "$(git --exec-path 2>/dev/null)/git-http-backend" ]; then
  missing+=(git)
fi

if [ ${#missing[@]} -gt 0 ]; then
  # Sort and de-duplicate: several commands come from one package.
  mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "ensure-git-tools: installing ${packages[*]}"
  sudo_prefix=()
  if [ "$(id -u)" -ne 0 ]; then sudo_prefix=(sudo); fi
  "${sudo_prefix[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_prefix[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

# sshd refuses to start without its privilege-separation directory (normally made by systemd).
if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
  mkdir -p /run/sshd && chmod 0755 /run/sshd
fi
echo "ensure-git-tools: git $(git --version | awk '{print $3}'), $(ssh -V 2>&1 | cut -d, -f1), $(gpg --version | head -1)"
