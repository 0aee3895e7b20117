#!/usr/bin/env python3
"""The raw engine floor: what N containers cost on this engine with no tool in between.

Plain Engine API calls over the unix socket (http.client, one connection per thread, unversioned
requests), the same container as the generated stacks (berth-test/busybox:1, httpd, init, health check,
one network, a named volume on every second container). Prints one JSON object of seconds:

  create_start_seq       create + start, one container after the other
  create_start_seq_healthy   ... until the list shows all of them healthy
  create_start_par       create + start, all N at once (N threads; --parallel caps it)
  create_start_par_healthy   ... until the list shows all of them healthy
  list                   one GET /containers/json filtered by the run label (median of 5)
  list_inspect           that list plus GET /containers/{id}/json for each, sequentially
  remove                 force-remove all N, sequentially (the floor of a teardown)

Everything it creates carries io.berth-bench.run=RUN and io.berth-bench.tool=raw; it removes its
containers after each phase and its network and volumes at the end (also on error).
"""
import argparse
import http.client
import json
import socket
import statistics
import sys
import threading
import time
import urllib.parse


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=300):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Engine:
    def __init__(self, path):
        self.path = path
        self.local = threading.local()

    def call(self, method, url, body=None, ok=(200, 201, 204, 304)):
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = UnixHTTPConnection(self.path)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        try:
            conn.request(method, url, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
        except (http.client.HTTPException, OSError):
            self.local.conn = None
            raise
        if resp.status not in ok:
            raise RuntimeError(f"{method} {url}: {resp.status} {payload[:300]!r}")
        return json.loads(payload) if payload else None


def container_body(args, index, network):
    name = f"s{index:03d}"
    body = {
        "Image": "berth-test/busybox:1",
        "Cmd": ["httpd", "-f", "-p", "8080", "-h", "/www"],
        "Env": ["BENCH_REV=0"],
        "Labels": {"io.berth-bench.run": args.run, "io.berth-bench.tool": "raw", "io.berth-bench.rev": "0"},
        "Healthcheck": {"Test": ["CMD-SHELL", "timeout 2 wget -q -O- http://127.0.0.1:8080/ || exit 1"],
                        "Interval": args.interval * 10**9, "Timeout": 3 * 10**9, "Retries": 3},
        "HostConfig": {"Init": True, "NetworkMode": network,
                       "Binds": [f"{args.prefix}_{name}-data:/data"] if index % 2 == 1 else []},
        "NetworkingConfig": {"EndpointsConfig": {network: {"Aliases": [name]}}},
    }
    return f"{args.prefix}_{name}", body


def labels_filter(args):
    return urllib.parse.quote(json.dumps({"label": [f"io.berth-bench.run={args.run}", "io.berth-bench.tool=raw"]}))


def list_ids(engine, args):
    return engine.call("GET", f"/containers/json?all=1&filters={labels_filter(args)}")


def wait_healthy(engine, args, n, start, deadline_s=600):
    while time.monotonic() - start < deadline_s:
        rows = engine.call("GET", f"/containers/json?filters={labels_filter(args)}")
        if sum(1 for r in rows if "(healthy)" in r.get("Status", "")) >= n:
            return time.monotonic() - start
        time.sleep(0.2)
    raise RuntimeError("containers did not all turn healthy")


def create_start(engine, args, index, network):
    name, body = container_body(args, index, network)
    created = engine.call("POST", f"/containers/create?name={name}", body)
    engine.call("POST", f"/containers/{created['Id']}/start")


def remove_all(engine, args):
    for row in list_ids(engine, args):
        engine.call("DELETE", f"/containers/{row['Id']}?force=1&v=0", ok=(204, 404))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--prefix", required=True, help="name prefix of containers, network, volumes")
    p.add_argument("--socket", default="/var/run/docker.sock")
    p.add_argument("--interval", type=int, default=10)
    p.add_argument("--parallel", type=int, default=0, help="threads for the parallel phase (0: N)")
    args = p.parse_args()
    engine = Engine(args.socket)
    network = f"{args.prefix}_net"
    labels = {"io.berth-bench.run": args.run, "io.berth-bench.tool": "raw"}
    result = {}
    engine.call("POST", "/networks/create", {"Name": network, "Labels": labels, "CheckDuplicate": True})
    for index in range(1, args.n + 1, 2):
        engine.call("POST", "/volumes/create", {"Name": f"{args.prefix}_s{index:03d}-data", "Labels": labels})
    try:
        start = time.monotonic()
        for index in range(args.n):
            create_start(engine, args, index, network)
        result["create_start_seq"] = time.monotonic() - start
        result["create_start_seq_healthy"] = wait_healthy(engine, args, args.n, start)

        samples = []
        for _ in range(5):
            t = time.monotonic()
            list_ids(engine, args)
            samples.append(time.monotonic() - t)
        result["list"] = statistics.median(samples)
        t = time.monotonic()
        for row in list_ids(engine, args):
            engine.call("GET", f"/containers/{row['Id']}/json")
        result["list_inspect"] = time.monotonic() - t

        t = time.monotonic()
        remove_all(engine, args)
        result["remove"] = time.monotonic() - t

        threads = args.parallel or args.n
        errors = []
        next_index = iter(range(args.n))
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                try:
                    create_start(engine, args, index, network)
                except Exception as e:  # noqa: BLE001 - reported after the join
                    errors.append(e)

        start = time.monotonic()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
        result["create_start_par"] = time.monotonic() - start
        if errors:
            raise errors[0]
        result["create_start_par_healthy"] = wait_healthy(engine, args, args.n, start)
    finally:
        remove_all(engine, args)
        for _ in range(5):
            try:
                engine.call("DELETE", f"/networks/{network}", ok=(204, 404))
                break
            except RuntimeError:
                time.sleep(1)
        for index in range(1, args.n + 1, 2):
            try:
                engine.call("DELETE", f"/volumes/{args.prefix}_s{index:03d}-data", ok=(204, 404))
            except RuntimeError as e:
                print(f"engine_floor: {e}", file=sys.stderr)
    print(json.dumps({k: round(v, 3) for k, v in result.items()}))


if __name__ == "__main__":
    main()
