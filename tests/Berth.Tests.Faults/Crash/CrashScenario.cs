namespace Berth.Tests.Faults.Crash;

/// <summary>
/// One rollout to crash in: a repository's files before (branch `initial`) and after (branch `change`)
/// the change berth applies while the suite kills it. Every scenario has the `db` service with a named
/// volume, whose data the suite writes before the change and reads after the recovery.
/// </summary>
/// <param name="Name">What the rollout does (the test case's name).</param>
/// <param name="Initial">Path -> content of the first commit, for a host identity and stack prefix.</param>
/// <param name="Change">The files of the commit applied under faults (a whole tree: files absent here are deleted).</param>
/// <param name="ChangeFails">The change is meant to fail and roll back: the apply exits 1, uninterrupted too.</param>
public sealed record CrashScenario(
    string Name,
    Func<string, IReadOnlyDictionary<string, string>> Initial,
    Func<string, IReadOnlyDictionary<string, string>> Change,
    bool ChangeFails = false)
{
    public override string ToString() => Name;
}

/// <summary>The rollouts of issue #20: each distinct kind of step a rollout takes.</summary>
public static class CrashScenarios
{
    /// <summary>The inventory: this host runs the stacks named (each `stacks/NAME/compose.yaml`, prefixed with the host identity).</summary>
    private static string Inventory(string host, params string[] stacks) =>
        $"hosts:\n  {host}: {{}}\nstacks:\n" +
        string.Concat(stacks.Select(stack => $"  {host}-{stack}:\n    compose: stacks/{stack}/compose.yaml\n    hosts: [{host}]\n")) +
        "settings:\n  allow_empty_state: false\n  prune_volumes: false\n";

    /// <summary>A database stand-in on a named volume: 1 replica and a volume, so it is replaced stop-first.</summary>
    private static string Db(string greeting) => $$"""
          db:
            image: berth-test/busybox:1
            command: ["sh", "-c", "while true; do sleep 1; done"]
            init: true
            stop_grace_period: 2s
            environment:
              SETTING: "{{greeting}}"
            volumes:
              - db-data:/data
            deploy:
              update_config:
                monitor: 1s

        """;

    /// <summary>An HTTP service with a 1 s health check (the gate waits one interval on 20.10).</summary>
    private static string Web(int replicas, string greeting, string extra = "", string healthTest = "timeout 2 wget -q -O- http://127.0.0.1:8080/ || exit 1") => $$"""
          web:
            image: berth-test/busybox:1
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
            init: true
            stop_grace_period: 2s
            environment:
              GREETING: "{{greeting}}"
            healthcheck:
              test: ["CMD-SHELL", "{{healthTest}}"]
              interval: 1s
              timeout: 2s
              retries: 2
              start_period: 1s
        {{extra}}    deploy:
              replicas: {{replicas}}
              update_config:
                parallelism: 1
                order: start-first
                failure_action: rollback
                monitor: 1s

        """;

    private static string Compose(params string[] services) =>
        "services:\n" + string.Concat(services) + "volumes:\n  db-data: {}\n";

    private static Func<string, IReadOnlyDictionary<string, string>> Files(Func<string, string> compose, params string[] stacks) =>
        host => new Dictionary<string, string>
        {
            ["berth.yaml"] = Inventory(host, stacks.Length == 0 ? ["app"] : stacks),
            ["stacks/app/compose.yaml"] = compose(host),
        };

    public static readonly CrashScenario StartFirst = new(
        "start-first replacement of 2 replicas",
        Files(_ => Compose(Web(2, "one"), Db("a"))),
        Files(_ => Compose(Web(2, "two"), Db("a"))));

    public static readonly CrashScenario StopFirst = new(
        "stop-first replacement of a service on a named volume",
        Files(_ => Compose(Web(1, "one"), Db("a"))),
        Files(_ => Compose(Web(1, "one"), Db("b"))));

    public static readonly CrashScenario BehindFront = new(
        "start-first replacement behind a front",
        Files(_ => Compose(Web(2, "one", "    x-berth: { front: true }\n"), Db("a"))),
        Files(_ => Compose(Web(2, "two", "    x-berth: { front: true }\n"), Db("a"))));

    public static readonly CrashScenario ScaleUp = new(
        "scale up 1 to 3",
        Files(_ => Compose(Web(1, "one"), Db("a"))),
        Files(_ => Compose(Web(3, "one"), Db("a"))));

    public static readonly CrashScenario ScaleDown = new(
        "scale down 3 to 1",
        Files(_ => Compose(Web(3, "one"), Db("a"))),
        Files(_ => Compose(Web(1, "one"), Db("a"))));

    public static readonly CrashScenario Rollback = new(
        "rollback of an unhealthy change",
        Files(_ => Compose(Web(2, "one"), Db("a"))),
        Files(_ => Compose(Web(2, "two", healthTest: "exit 1"), Db("a"))),
        ChangeFails: true);

    /// <summary>
    /// A stack leaves the inventory (its containers and network go, its named volume stays: berth never
    /// removes a named volume implicitly) while a new one arrives with a network and a volume of its own.
    /// </summary>
    public static readonly CrashScenario StacksAddedAndRemoved = new(
        "network and volume creation and removal",
        host => new Dictionary<string, string>
        {
            ["berth.yaml"] = Inventory(host, "app", "old"),
            ["stacks/app/compose.yaml"] = Compose(Db("a")),
            ["stacks/old/compose.yaml"] = SideStack("old"),
        },
        host => new Dictionary<string, string>
        {
            ["berth.yaml"] = Inventory(host, "app", "new"),
            ["stacks/app/compose.yaml"] = Compose(Db("a")),
            ["stacks/new/compose.yaml"] = SideStack("new"),
        });

    private static string SideStack(string name) => $$"""
        services:
          cache:
            image: berth-test/busybox:1
            command: ["sh", "-c", "while true; do sleep 1; done"]
            init: true
            stop_grace_period: 2s
            networks: [inner]
            volumes:
              - {{name}}-data:/data
            deploy:
              update_config:
                monitor: 1s
        networks:
          inner: {}
        volumes:
          {{name}}-data: {}

        """;

    public static IReadOnlyList<CrashScenario> All { get; } = [StartFirst, StopFirst, BehindFront, ScaleUp, ScaleDown, Rollback, StacksAddedAndRemoved];
}
