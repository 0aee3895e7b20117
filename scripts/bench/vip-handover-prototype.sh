#!/usr/bin/env bash
# Handover prototype: can a "VIP front" give a start-first handover with ZERO failed requests, where
# Docker's embedded DNS cannot? Two handover mechanisms side by side in ONE run, same service, same
# client, same rate. This is a measurement for issue #5's open requirement, not berth code: berth
# does not implement the VIP front yet (docs/rollout.md, "Towards zero").
#
#   sudo scripts/bench/vip-handover-prototype.sh              # N=20 handovers per mechanism, ~3 min
#   sudo VIP_N=5 scripts/bench/vip-handover-prototype.sh      # quicker
#
# dns  What berth does today: the new replica joins the network with the alias (after it listens),
#      the old one is disconnected (Docker drops its DNS record and its interface in one call), a
#      1 s drain, then the old one is stopped.
# vip  A "front" container holds the alias and never changes; it runs nothing but sleep. Inside ITS
#      network namespace (not the host's firewall), a nat rule DNATs the front's address to the
#      current backend and masquerades, so replies return through it. Handover: the new replica
#      proves itself, the rule is swapped atomically (iptables-restore), connections already open
#      keep their old translation (conntrack) and finish on the old replica, a 1 s drain, then the old
#      one is stopped. The front gets ip_forward=1 and no ICMP redirects through container sysctls.
#
# Probe: a client container requests http://svc:8080/v with a new busybox wget per request (fresh DNS
# lookup, no keep-alive, 2 s timeout) and a 10 ms pause: 30-50 requests/s here.
# Needs: a Docker engine (scripts/ensure-docker.sh), the test image (scripts/build-test-images.sh),
# nsenter and iptables on the host (util-linux; iptables comes with docker.io). Root.
# Everything carries the label io.berth-bench.run=RUN_ID and is removed at exit, even on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${VIP_N:-20}
IMAGE=berth-test/busybox:1
RUN_ID=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
LABEL="io.berth-bench.run=$RUN_ID"

cleanup() {
  local ids
  ids=$(docker ps -aq --filter "label=$LABEL")
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
  for net in $(docker network ls -q --filter "label=$LABEL"); do docker network rm "$net" >/dev/null; done
}
trap cleanup EXIT

bash scripts/ensure-docker.sh >/dev/null
bash scripts/build-test-images.sh >/dev/null
command -v nsenter >/dev/null && command -v iptables-restore >/dev/null \
  || { echo "vip-handover: needs nsenter and iptables-restore on the host" >&2; exit 1; }

ip_on() { docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }

# A backend answers GET /v with its own name. $3: extra docker run args (e.g. the alias).
start_backend() {
  docker run -d --init --label "$LABEL" --name "$1" --network "$2" ${3:-} "$IMAGE" \
    sh -c "echo $1 > /tmp/v; exec httpd -f -p 8080 -h /tmp" >/dev/null
}

# Polls (no fixed sleep) until the probe container reaches the backend directly.
wait_listening() {
  local deadline=$((SECONDS + 30))
  until docker exec "$1" wget -q -O- "http://$2:8080/v" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "vip-handover: $2 never answered" >&2; exit 1; }
  done
}

start_probe() {
  docker run -d --init --label "$LABEL" --name "$1" --network "$2" "$IMAGE" sh -c \
    'while true; do if body=$(timeout 2 wget -q -O- http://svc:8080/v); then echo "ok $body"; else echo FAIL; fi; usleep 10000; done' >/dev/null
  local deadline=$((SECONDS + 30))
  until [ "$(docker logs "$1" 2>/dev/null | grep -c '^ok')" -ge 5 ]; do
    [ $SECONDS -lt $deadline ] || { echo "vip-handover: the probe never reached svc" >&2; exit 1; }
  done
}

report() { # mechanism probe
  local ok failed
  ok=$(docker logs "$2" 2>/dev/null | grep -c '^ok' || true)
  failed=$(docker logs "$2" 2>/dev/null | grep -c '^FAIL' || true)
  printf '%-4s  %3d handovers  %6d requests  %4d failed\n' "$1" "$N" "$((ok + failed))" "$failed"
}

run_dns() {
  local net="vipbench-dns-$RUN_ID" prefix="d$RUN_ID" current next
  docker network create --label "$LABEL" "$net" >/dev/null
  start_backend "${prefix}-0" "$net" "--network-alias svc"
  start_probe "${prefix}-probe" "$net"
  current="${prefix}-0"
  for i in $(seq 1 "$N"); do
    next="${prefix}-$i"
    # Created without the alias, proven, then attached with it: berth's start-first order.
    start_backend "$next" "$net"
    wait_listening "${prefix}-probe" "$(ip_on "$next" "$net")"
    docker network disconnect "$net" "$next"
    docker network connect --alias svc "$net" "$next"
    docker network disconnect "$net" "$current"
    sleep 1 # the drain period: measured behaviour, not synchronisation
    docker rm -f "$current" >/dev/null
    current=$next
  done
  sleep 2 # let requests of the last handover finish before counting
  report dns "${prefix}-probe"
}

run_vip() {
  local net="vipbench-vip-$RUN_ID" prefix="v$RUN_ID" front pid front_ip current next
  docker network create --label "$LABEL" "$net" >/dev/null
  front="${prefix}-front"
  docker run -d --init --label "$LABEL" --name "$front" --network "$net" --network-alias svc \
    --sysctl net.ipv4.ip_forward=1 --sysctl net.ipv4.conf.all.send_redirects=0 \
    --sysctl net.ipv4.conf.eth0.send_redirects=0 "$IMAGE" sleep 2147483647 >/dev/null
  pid=$(docker inspect -f '{{.State.Pid}}' "$front")
  front_ip=$(ip_on "$front" "$net")
  route_to() { # the whole nat table of the front's namespace, replaced atomically
    printf '*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -d %s/32 -j DNAT --to-destination %s\n-A POSTROUTING -m conntrack --ctstate DNAT -j MASQUERADE\nCOMMIT\n' \
      "$front_ip" "$1" | nsenter --net="/proc/$pid/ns/net" iptables-restore
  }
  start_backend "${prefix}-0" "$net"
  route_to "$(ip_on "${prefix}-0" "$net")"
  start_probe "${prefix}-probe" "$net"
  current="${prefix}-0"
  for i in $(seq 1 "$N"); do
    next="${prefix}-$i"
    start_backend "$next" "$net"
    wait_listening "${prefix}-probe" "$(ip_on "$next" "$net")"
    route_to "$(ip_on "$next" "$net")"
    sleep 1 # drain: connections opened before the swap finish on the old backend
    docker rm -f "$current" >/dev/null
    current=$next
  done
  sleep 2
  report vip "${prefix}-probe"
}

echo "vip-handover: $N handovers per mechanism, Docker $(docker version -f '{{.Server.Version}}'), run $RUN_ID"
run_dns
run_vip
