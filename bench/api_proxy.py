#!/usr/bin/env python3
"""A counting proxy for the Docker Engine API: listens on a unix socket, forwards every connection to
the engine's socket byte for byte, and writes one line per HTTP request to a log:

    <unix time> <METHOD> <path pattern>      e.g.  1733330000.123 GET /containers/{id}/json

The pattern drops the API version prefix (/v1.41) and the query string, and replaces container,
network, volume, image and exec names/ids with {id}, so requests group by kind.

Requests are parsed from the client's side of each connection (request line, headers, a body by
Content-Length or chunked), so keep-alive connections with many requests are counted exactly. After an
upgrade (101: attach, exec start with Upgrade) the rest of the connection is passed through uncounted.
The engine's responses are forwarded untouched and never parsed.

    api_proxy.py --listen /tmp/bench/docker.sock --log /tmp/bench/api.log [--upstream /var/run/docker.sock]

Then point a client at it: DOCKER_HOST=unix:///tmp/bench/docker.sock, or berth --docker-host.
Count with api_count.py (or `wc -l`): the harness reads the log's line count before and after a command.
"""
import argparse
import asyncio
import os
import re
import signal
import time

VERSION = re.compile(r"^/v\d+\.\d+(?=/)")
# /containers/<id>/..., /networks/<id>, /volumes/<name>, /exec/<id>/..., /images/<name>/json
RESOURCE = re.compile(r"^/(containers|networks|volumes|exec|images|plugins|secrets|configs|services|tasks|nodes)/(?!json$|create$|prune$|load$|get$|search$)([^/]+)")


def pattern(target):
    path = target.split("?", 1)[0]
    path = VERSION.sub("", path)
    if path.startswith("/images/") and path.endswith("/json") and path != "/images/json":   # the list stays itself
        return "/images/{id}/json"   # image names contain slashes (berth-test/busybox:1)
    return RESOURCE.sub(lambda m: f"/{m.group(1)}/{{id}}", path)


class Counter:
    def __init__(self, log_path):
        self.log = open(log_path, "a", buffering=1, encoding="utf-8")

    def record(self, method, target):
        self.log.write(f"{time.time():.3f} {method} {pattern(target)}\n")


async def pipe_raw(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def pipe_requests(reader, writer, counter):
    """Client -> engine: forward while parsing request boundaries."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(head)
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) >= 2:
                counter.record(parts[0], parts[1])
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            if "upgrade" in headers or "upgrade" in headers.get("connection", "").lower():
                await writer.drain()
                await pipe_raw(reader, writer)   # hijacked stream: no more HTTP requests to count
                return
            if headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    size_line = await reader.readuntil(b"\r\n")
                    writer.write(size_line)
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                    chunk = await reader.readexactly(size + 2)
                    writer.write(chunk)
                    if size == 0:
                        break
            else:
                length = int(headers.get("content-length", "0") or 0)
                while length > 0:
                    data = await reader.read(min(length, 65536))
                    if not data:
                        return
                    writer.write(data)
                    length -= len(data)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError, ValueError):
        pass
    except asyncio.LimitOverrunError:
        await pipe_raw(reader, writer)
    finally:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--upstream", default="/var/run/docker.sock")
    p.add_argument("--log", required=True)
    args = p.parse_args()
    counter = Counter(args.log)

    # Strong references to the connections' tasks: asyncio keeps only weak ones, and a connection idle in a
    # client's pool (both directions waiting on each other) would otherwise be garbage-collected while
    # pending ("Task was destroyed but it is pending!") and dropped under the client.
    connections = set()

    async def handle(client_reader, client_writer):
        task = asyncio.current_task()
        connections.add(task)
        try:
            await forward(client_reader, client_writer)
        finally:
            connections.discard(task)

    async def forward(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_unix_connection(args.upstream, limit=1 << 20)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe_requests(client_reader, up_writer, counter),
                             pipe_raw(up_reader, client_writer))
        for w in (up_writer, client_writer):
            try:
                w.close()
            except OSError:
                pass

    if os.path.exists(args.listen):
        os.unlink(args.listen)
    server = await asyncio.start_unix_server(handle, path=args.listen, limit=1 << 20, backlog=512)
    os.chmod(args.listen, 0o660)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    os.unlink(args.listen)


if __name__ == "__main__":
    asyncio.run(main())
