#!/usr/bin/env python3
"""Writes one generated stack of N services three ways, so the three tools deploy the same containers:

  OUT/berth/berth.yaml + OUT/berth/stacks/bench/compose.yaml   a berth repository (host HOST)
  OUT/compose/compose.yaml                                      a plain Compose project (docker-compose v1)
  OUT/ansible/playbook.yml                                      an Ansible playbook (community.docker)

Every service: berth-test/busybox:1 running `httpd -f -p 8080 -h /www` with `init: true` (so a stop takes
no grace period), a health check (`wget` of itself, every --interval), one user network, a named volume
on every second service. The environment variable BENCH_REV (and the label io.berth-bench.rev, which the
harness polls with `docker ps` to see the new containers healthy) is --rev for every service, except
service 1, which gets --rev-one when given: "change one" is --rev-one, "change all" is a new --rev.
Every container, network and volume carries io.berth-bench.run=RUN and io.berth-bench.tool=TOOL.

--empty writes the desired state "nothing" (for berth's teardown: the host stays in the inventory, its
stack no longer targets it; allow_empty_state must then be true).

Only the standard library: no PyYAML needed (JSON is YAML, but we write plain YAML for the reader).
"""
import argparse
import os


def service_names(n):
    width = max(3, len(str(n)))
    return [f"s{i:0{width}d}" for i in range(1, n + 1)]


def rev_of(index, args):
    return args.rev_one if (index == 0 and args.rev_one is not None) else args.rev


def q(value):
    """A double-quoted YAML scalar."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


HEALTH_TEST = "timeout 2 wget -q -O- http://127.0.0.1:8080/ || exit 1"


def compose_text(args, tool, with_name):
    names = service_names(args.n)
    lines = []
    if with_name:
        lines.append(f"name: {args.stack}")
    lines.append("services:")
    for i, name in enumerate(names):
        rev = rev_of(i, args)
        lines += [
            f"  {name}:",
            "    image: berth-test/busybox:1",
            '    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]',
            "    init: true",
            "    environment:",
            f"      BENCH_REV: {q(rev)}",
            "    labels:",
            f"      io.berth-bench.run: {q(args.run)}",
            f"      io.berth-bench.tool: {q(tool)}",
            f"      io.berth-bench.rev: {q(rev)}",
            "    networks: [net]",
            "    healthcheck:",
            f"      test: [\"CMD-SHELL\", {q(HEALTH_TEST)}]",
            f"      interval: {args.interval}s",
            "      timeout: 3s",
            "      retries: 3",
        ]
        if i % 2 == 0:
            lines += ["    volumes:", f"      - {name}-data:/data"]
    lines += [
        "networks:",
        "  net:",
        "    labels:",
        f"      io.berth-bench.run: {q(args.run)}",
        f"      io.berth-bench.tool: {q(tool)}",
        "volumes:",
    ]
    for i, name in enumerate(names):
        if i % 2 == 0:
            lines += [
                f"  {name}-data:",
                "    labels:",
                f"      io.berth-bench.run: {q(args.run)}",
                f"      io.berth-bench.tool: {q(tool)}",
            ]
    return "\n".join(lines) + "\n"


def berth_inventory(args):
    # The host carries a label; the stack selects it. --empty: the stack selects nothing on this host.
    selector = "none" if args.empty else "on"
    return "\n".join([
        "hosts:",
        f"  {args.host}:",
        "    labels: { bench: \"on\" }",
        "stacks:",
        f"  {args.stack}:",
        f"    compose: stacks/{args.stack}/compose.yaml",
        "    hosts:",
        f"      selector: {{ bench: \"{selector}\" }}",
        "settings:",
        f"  allow_empty_state: {'true' if args.empty else 'false'}",
        "  prune_volumes: false",
        "",
    ])


def ansible_playbook(args):
    """What a user without Compose would write: one network, the volumes, one docker_container task
    looping over the services. Names follow Compose's (<project>_<service>_1) so nothing collides."""
    names = service_names(args.n)
    project = args.project
    state = "absent" if args.empty else "present"
    lines = [
        f"- name: bench stack {project}",
        "  hosts: localhost",
        "  connection: local",
        "  gather_facts: false",
        "  vars:",
        f"    project: {q(project)}",
        f"    run: {q(args.run)}",
        "    services:",
    ]
    for i, name in enumerate(names):
        lines.append(f"      - {{ name: {name}, rev: {q(rev_of(i, args))}, volume: {'true' if i % 2 == 0 else 'false'} }}")
    lines += ["  tasks:"]
    if not args.empty:
        lines += [
            "    - name: network",
            "      community.docker.docker_network:",
            "        name: \"{{ project }}_net\"",
            "        labels: { io.berth-bench.run: \"{{ run }}\", io.berth-bench.tool: ansible }",
            "    - name: volumes",
            "      community.docker.docker_volume:",
            "        name: \"{{ project }}_{{ item.name }}-data\"",
            "        labels: { io.berth-bench.run: \"{{ run }}\", io.berth-bench.tool: ansible }",
            "      loop: \"{{ services | selectattr('volume') | list }}\"",
            "      loop_control: { label: \"{{ item.name }}\" }",
            "    - name: containers",
            "      community.docker.docker_container:",
            "        name: \"{{ project }}_{{ item.name }}_1\"",
            "        image: berth-test/busybox:1",
            "        command: [httpd, -f, -p, \"8080\", -h, /www]",
            "        init: true",
            "        env: { BENCH_REV: \"{{ item.rev }}\" }",
            "        labels:",
            "          io.berth-bench.run: \"{{ run }}\"",
            "          io.berth-bench.tool: ansible",
            "          io.berth-bench.rev: \"{{ item.rev }}\"",
            "        networks: [{ name: \"{{ project }}_net\", aliases: [\"{{ item.name }}\"] }]",
            "        networks_cli_compatible: true",
            "        network_mode: \"{{ project }}_net\"",
            "        volumes: \"{{ [project ~ '_' ~ item.name ~ '-data:/data'] if item.volume else [] }}\"",
            "        healthcheck:",
            f"          test: [\"CMD-SHELL\", {q(HEALTH_TEST)}]",
            f"          interval: {args.interval}s",
            "          timeout: 3s",
            "          retries: 3",
            "        restart_policy: \"no\"",
            "        state: started",
            "        container_default_behavior: no_defaults",
            "      loop: \"{{ services }}\"",
            "      loop_control: { label: \"{{ item.name }}\" }",
        ]
    else:
        # Teardown: containers and the network; volumes are data and stay (as `docker-compose down` and
        # berth keep them); the harness removes them afterwards, untimed.
        lines += [
            "    - name: containers",
            "      community.docker.docker_container:",
            "        name: \"{{ project }}_{{ item.name }}_1\"",
            "        state: absent",
            "        force_kill: true",
            "      loop: \"{{ services }}\"",
            "      loop_control: { label: \"{{ item.name }}\" }",
            "    - name: network",
            "      community.docker.docker_network:",
            "        name: \"{{ project }}_net\"",
            "        state: absent",
        ]
    return "\n".join(lines) + "\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, required=True, help="number of services")
    p.add_argument("--out", required=True, help="output directory (berth/, compose/, ansible/ under it)")
    p.add_argument("--run", required=True, help="run id (label io.berth-bench.run)")
    p.add_argument("--host", default="bench", help="berth host identity in the inventory")
    p.add_argument("--stack", default="bench", help="berth stack name")
    p.add_argument("--project", default="bench", help="ansible name prefix")
    p.add_argument("--interval", type=int, default=10, help="health check interval, seconds (default 10)")
    p.add_argument("--rev", default="0", help="BENCH_REV of every service")
    p.add_argument("--rev-one", default=None, help="BENCH_REV of service 1 only (change one)")
    p.add_argument("--empty", action="store_true", help="desired state: nothing (teardown)")
    p.add_argument("--only", choices=["berth", "compose", "ansible"], action="append",
                   help="write only these (default: all three)")
    args = p.parse_args()
    only = set(args.only or ["berth", "compose", "ansible"])
    if "berth" in only:
        write(os.path.join(args.out, "berth", "berth.yaml"), berth_inventory(args))
        write(os.path.join(args.out, "berth", "stacks", args.stack, "compose.yaml"),
              compose_text(args, "berth", with_name=True))
    if "compose" in only:
        # docker-compose 1.29 reads the Compose Specification without `version:`; the project name comes
        # from -p, so no top-level `name:` (1.29 does not know it).
        write(os.path.join(args.out, "compose", "compose.yaml"), compose_text(args, "compose", with_name=False))
    if "ansible" in only:
        write(os.path.join(args.out, "ansible", "playbook.yml"), ansible_playbook(args))


if __name__ == "__main__":
    main()
