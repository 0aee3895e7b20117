using System.Diagnostics;
using System.Text;
using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec;

/// <summary>
/// Feeds thousands of mutated and random documents to the loader: none may throw or hang, and each
/// must give either a model or at least one error with a real position. Fixed seeds: a failure
/// reproduces, and its document is in the assertion message.
/// </summary>
public sealed class SpecLoaderFuzzTests
{
    private static readonly TimeSpan PerDocumentLimit = TimeSpan.FromSeconds(5);

    private static readonly string[] Seeds = [.. CorpusTests.CorpusFiles().Select(File.ReadAllText), Valid];

    private const string Valid = """
        name: fuzz
        x-base: &base
          restart: always
          <<: { init: true }
        services:
          web:
            <<: *base
            image: "nginx:${TAG:-1.27}"
            command: ["nginx", "-g", "daemon off;"]
            environment: { A: "1", B: $$literal }
            ports: ["127.0.0.1:8080:80/tcp", { target: 443, published: "8443" }]
            volumes: ["data:/data:ro", "./conf:/etc/nginx/conf.d", { type: tmpfs, target: /tmp, tmpfs: { size: 64m } }]
            networks: { front: { aliases: [www] } }
            healthcheck: { test: curl -f http://localhost/, interval: 10s, retries: 3 }
            deploy: { replicas: 1, update_config: { order: stop-first, delay: 1s }, resources: { limits: { cpus: "0.5", memory: 256m } } }
            depends_on: { db: { condition: service_healthy } }
            ulimits: { nofile: { soft: 1024, hard: 2048 } }
            x-berth: { drain: 2s }
          db:
            image: postgres:16
            environment: [POSTGRES_PASSWORD=secret]
            expose: ["5432"]
        networks: { front: {} }
        volumes: { data: {} }
        """;

    [Fact]
    public void Load_MutatedDocuments_NeverThrowNorHang()
    {
        var random = new Random(20261125);
        for (var iteration = 0; iteration < 3000; iteration++)
        {
            var seed = Seeds[random.Next(Seeds.Length)];
            AssertLoadsCleanly(Mutate(seed, random, mutations: 1 + random.Next(4)));
        }
    }

    [Fact]
    public void Load_RandomDocuments_NeverThrowNorHang()
    {
        var random = new Random(42);
        for (var iteration = 0; iteration < 2000; iteration++)
        {
            AssertLoadsCleanly(RandomDocument(random));
        }
    }

    [Fact]
    public void Load_MutatedProjectDotEnv_NeverThrowsNorHangs()
    {
        // The project's .env is read implicitly: whatever it holds, loading ends in a state or errors with a place.
        const string dotEnv = "# defaults\nTAG=1.27\nexport DOMAIN=example.org\nURL=\"https://${DOMAIN}/\"\nRAW='$x'\nCOMPOSE_PROFILES=debug,tools\nCOMPOSE_PROJECT_NAME=fuzz\n";
        const string compose = "name: fuzz\nservices:\n  web:\n    image: busybox:${TAG}\n    environment: { URL: $URL }\n    links: [db]\n  db:\n    image: busybox\n  debug:\n    image: busybox\n    profiles: [debug]\n    depends_on: [db]\n";
        var random = new Random(20261204);
        for (var iteration = 0; iteration < 1500; iteration++)
        {
            var mutated = Mutate(dotEnv, random, 1 + random.Next(4));
            AssertLoadsCleanly(SpecTestRepository.Compose(compose).With(".env", mutated), "host1", mutated);
        }
    }

    [Fact]
    public void Load_MutatedInventories_NeverThrowNorHang()
    {
        var random = new Random(7);
        const string inventory = "hosts:\n  a: { labels: { role: app }, vars: { TAG: '1' } }\nstacks:\n  s:\n    compose: [s.yaml]\n    hosts: { names: [a], selector: { role: app } }\nsettings: { allow_empty_state: true }\n";
        for (var iteration = 0; iteration < 1000; iteration++)
        {
            var repository = new SpecTestRepository().With("berth.yaml", Mutate(inventory, random, 1 + random.Next(3))).With("s.yaml", Valid);
            AssertLoadsCleanly(repository, "a", inventory);
        }
    }

    [Fact]
    public void Load_HostileValues_NeverThrowNorHang()
    {
        // What issue #22 found by hand, generated: nested and broken interpolation, durations past
        // every timer, berth's own labels, env files over their limits. Each must give errors with
        // positions, in bounded time.
        var random = new Random(22);
        for (var iteration = 0; iteration < 60; iteration++)
        {
            var value = HostileInterpolation(random).Replace("\"", "", StringComparison.Ordinal);
            var duration = $"{random.Next(0, 3_000_000)}{(random.Next(3) == 0 ? "ms" : "h")}";
            var labelKey = random.Next(2) == 0 ? "io.berth.role" : "IO.BERTH.x";
            var compose = $$"""
                services:
                  web:
                    image: "busybox:{{value}}"
                    labels: { {{labelKey}}: front, ok: "{{value}}" }
                    env_file: [conf/x.env, conf/big.env]
                    stop_grace_period: {{duration}}
                    healthcheck: { test: [CMD, "true"], interval: {{duration}}, start_period: {{duration}} }
                    deploy: { update_config: { delay: {{duration}}, monitor: {{duration}} } }
                    x-berth: { drain: {{duration}} }
                networks: { default: { labels: [io.berth.key=x] } }
                """;
            var bigEnv = random.Next(2) == 0
                ? new string('#', 1024 * 1024 + random.Next(1, 1000))
                : string.Concat(Enumerable.Range(0, 10_000 + random.Next(1, 50)).Select(index => $"V{index}=${{A:-x}}\n"));
            var repository = SpecTestRepository.Compose(compose).With("conf/x.env", $"A={value}\n").With("conf/big.env", bigEnv);

            AssertLoadsCleanly(repository, "host1", compose);
        }
    }

    private static readonly string[] InterpolationPieces = ["${", "}", "$$", "$", "A", "B_1", ":-", ":?", ":+", "-", "?", "+", "x", ":", "{", " "];

    private static string HostileInterpolation(Random random)
    {
        if (random.Next(4) == 0)
        {
            var depth = random.Next(1, 20_000);
            return string.Concat(Enumerable.Repeat("${A:-", depth)) + "x" + new string('}', random.Next(depth - 2, depth + 2));
        }

        return string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => InterpolationPieces[random.Next(InterpolationPieces.Length)]));
    }

    private static void AssertLoadsCleanly(string compose) =>
        AssertLoadsCleanly(SpecTestRepository.Compose(compose).With("conf/x.env", "A=1\n"), "host1", compose);

    private static void AssertLoadsCleanly(SpecTestRepository repository, string host, string document)
    {
        var stopwatch = Stopwatch.StartNew();
        var load = Task.Run(() => repository.LoadHost(host));
        var finished = ((IAsyncResult)load).AsyncWaitHandle.WaitOne(PerDocumentLimit);
        Assert.True(finished, $"load did not finish within {PerDocumentLimit}:\n{document}");
        Assert.True(load.IsCompletedSuccessfully, $"load threw {load.Exception?.InnerException}\n--- document:\n{document}\n---");
        var result = load.Result;
        Assert.True(result.State is not null ^ !result.Errors.IsEmpty, $"either a state or errors expected:\n{document}");
        Assert.All(result.Errors, error =>
        {
            Assert.True(error.Line >= 1 && error.Column >= 1, $"error without a position: {error}\n{document}");
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        });
        Assert.True(stopwatch.Elapsed < PerDocumentLimit);
    }

    private static string Mutate(string text, Random random, int mutations)
    {
        var characters = new StringBuilder(text);
        for (var mutation = 0; mutation < mutations && characters.Length > 0; mutation++)
        {
            var position = random.Next(characters.Length);
            switch (random.Next(7))
            {
                case 0: // flip a byte to a YAML-significant or random character
                    characters[position] = Pick(random, ":-[]{}&*!|>'\"#%@`,?$\t\n ") ?? (char)random.Next(1, 128);
                    break;
                case 1: // delete a span
                    characters.Remove(position, Math.Min(characters.Length - position, 1 + random.Next(8)));
                    break;
                case 2: // insert a fragment
                    characters.Insert(position, Fragments[random.Next(Fragments.Length)]);
                    break;
                default: // line mutations: duplicate, delete, swap or re-indent a line
                    var lines = characters.ToString().Split('\n').ToList();
                    var line = random.Next(lines.Count);
                    var other = random.Next(lines.Count);
                    switch (random.Next(4))
                    {
                        case 0:
                            lines.Insert(other, lines[line]);
                            break;
                        case 1:
                            lines.RemoveAt(line);
                            break;
                        case 2:
                            (lines[line], lines[other]) = (lines[other], lines[line]);
                            break;
                        default:
                            lines[line] = new string(' ', random.Next(8)) + lines[line].TrimStart();
                            break;
                    }

                    characters.Clear().Append(string.Join('\n', lines));
                    break;
            }
        }

        return characters.ToString();
    }

    private static readonly string[] Fragments =
    [
        "${", "$$", "${X:?boom}", "${UNDEFINED}", "<<: *base", "&a ", "*a", "!reset ", "---\n", "\n  - ", ": ", "{", "]", "\"", "'", "\t",
        "99999", "-1", "1e309", "0x1F", "1m30", "8080:80", "build: .", "x-berth: { drain: x }", "~", "null", "\u0000", "\uFFFF", "é",
        "${A:-${B:-${C:?x}}}", "$${", "2000000h", "24h0m1s", "1.5m", ".5s", "2562048h", "profiles: [x]", "links: [db:alias]", "links: [web]", "io.berth.role: front", "labels: [io.berth.x=y]", "env_file: conf/x.env",
    ];

    private static char? Pick(Random random, string characters) => random.Next(4) == 0 ? null : characters[random.Next(characters.Length)];

    private static readonly string[] Keys =
    [
        "services", "web", "image", "ports", "volumes", "networks", "environment", "deploy", "replicas", "healthcheck", "test",
        "depends_on", "condition", "name", "x-a", "<<", "external", "command", "update_config", "order", "labels", "target", "type",
    ];

    private static readonly string[] Scalars = ["busybox", "80", "8080:80", "start-first", "true", "1s", "${A:-b}", "", "~", "[", "a: b", "*x", "&x y", "service_healthy", "- a"];

    private static string RandomDocument(Random random)
    {
        var text = new StringBuilder();
        WriteNode(text, random, depth: 0, indent: 0);
        return text.ToString();
    }

    private static void WriteNode(StringBuilder text, Random random, int depth, int indent)
    {
        var kind = depth > 5 ? 2 : random.Next(depth == 0 ? 1 : 3);
        var padding = new string(' ', indent);
        switch (kind)
        {
            case 0: // block mapping
                for (var entry = 0; entry < 1 + random.Next(4); entry++)
                {
                    text.Append(padding).Append(Keys[random.Next(Keys.Length)]).Append(":\n");
                    WriteNode(text, random, depth + 1, indent + 2);
                }

                break;
            case 1: // block sequence
                for (var item = 0; item < 1 + random.Next(3); item++)
                {
                    text.Append(padding).Append("-\n");
                    WriteNode(text, random, depth + 1, indent + 2);
                }

                break;
            default:
                var scalar = Scalars[random.Next(Scalars.Length)];
                text.Append(padding).Append(random.Next(2) == 0 ? scalar : $"\"{scalar}\"").Append('\n');
                break;
        }
    }
}
