using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;

namespace Berth.Tests.Spec;

/// <summary>
/// berth ships as a Native AOT binary, which has no reflection serializer: the desired-state revision and
/// the state file are written by source-generated contexts. What they write was pinned by the reflection
/// serializer (a `content-…` revision recorded on a host; state files on every host): the two must write
/// the same bytes, and the generated reader must read what the reflection writer wrote.
/// </summary>
public sealed class SourceGeneratedJsonTests
{
    // DesiredStateRevision before the context: default options plus string enums.
    private static readonly JsonSerializerOptions ReflectionRevisionJson = new()
    {
        Converters = { new JsonStringEnumConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    // StateStore before the context.
    private static readonly JsonSerializerOptions ReflectionStateJson = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(), new DefaultableStringArrayConverter() },
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static IEnumerable<DesiredState> DesiredStates()
    {
        foreach (var host in new[] { "demo", "web-2" })
        {
            yield return SpecLoader.LoadHost(Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo"), host).State!;
        }

        var composePaths = CorpusTests.CorpusFiles().Concat(
            CompatibilityCorpusTests.ComposeFiles().Select(relative => Path.Combine(CompatibilityCorpusTests.CorpusRoot(), relative)));
        foreach (var path in composePaths)
        {
            // Files berth refuses (or that need files beside them) have no state: nothing to compare.
            if (SpecTestRepository.Compose(File.ReadAllText(path)).LoadHost().State is { } state)
            {
                yield return state;
            }
        }
    }

    [Fact]
    public void DesiredStateRevision_EveryExampleAndCorpusState_HashesTheBytesTheReflectionSerializerWrote()
    {
        var compared = 0;
        foreach (var desired in DesiredStates())
        {
            var withoutHost = desired with { Host = string.Empty };
            var reflected = JsonSerializer.Serialize(withoutHost, ReflectionRevisionJson);
            var generated = JsonSerializer.Serialize(withoutHost, DesiredStateJsonContext.Default.DesiredState);
            Assert.True(reflected == generated, $"{string.Join(",", desired.Stacks.Select(stack => stack.Name))}:\n reflection: {reflected}\n generated:  {generated}");
            compared++;
        }

        Assert.True(compared > 20, $"only {compared} states compared");
    }

    [Fact]
    public void DesiredStateRevision_ExampleRepository_IsThePinnedRevision()
    {
        // Computed by berth 0.1 (reflection serializer) on examples/repo for host demo.
        var desired = SpecLoader.LoadHost(Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo"), "demo").State!;

        Assert.Equal(PinnedExampleRevision, DesiredStateRevision.Compute(desired));
    }

    internal const string PinnedExampleRevision = "content-959f4539991e";

    [Fact]
    public void StateFile_AServicePerCorpusState_WritesWhatTheReflectionSerializerWroteAndReadsItBack()
    {
        var compared = 0;
        foreach (var desired in DesiredStates())
        {
            var state = StateWith(desired);
            var reflected = JsonSerializer.Serialize(state, ReflectionStateJson);
            var generated = JsonSerializer.Serialize(state, StateJsonContext.Default.AppliedState);
            Assert.True(reflected == generated, $"state of {string.Join(",", desired.Stacks.Select(stack => stack.Name))}:\n reflection: {reflected}\n generated:  {generated}");

            // An older berth's file (the reflection writer's bytes) reads back to the same record.
            var read = JsonSerializer.Deserialize(reflected, StateJsonContext.Default.AppliedState)!;
            Assert.Equal(reflected, JsonSerializer.Serialize(read, ReflectionStateJson));
            // Never written, so never read: the initializer's value, not a default the reader made up.
            Assert.Same(SecretValues.None, read.Secrets);
            compared++;
        }

        Assert.True(compared > 20, $"only {compared} states compared");
    }

    private static readonly DateTimeOffset At = new(2026, 12, 5, 6, 0, 0, TimeSpan.Zero);

    // Every part of the record set: services with their applied spec, failed revisions with and without
    // services (default: an older berth's hold-everything record), history, tag checks, pulled images.
    private static AppliedState StateWith(DesiredState desired)
    {
        var state = AppliedState.Empty("h") with
        {
            LastAppliedRevision = "abc",
            LastAppliedAt = At,
            LastAttemptedRevision = "def",
            LastAttemptedAt = At,
        };
        var services = desired.AllServices.ToImmutableSortedDictionary(
            service => service.QualifiedName,
            service => new AppliedService("hash", ImmutableSortedDictionary<string, string>.Empty.Add("image", "h1"), service.Container.Image, "sha256:1", "abc",
                ImmutableSortedDictionary<int, string>.Empty.Add(1, "id1").Add(2, "id2"), service) { PreviousImageId = "sha256:0" },
            StringComparer.Ordinal);
        return state with
        {
            Services = services,
            FailedRevisions = state.FailedRevisions
                .Add("r1", new FailedRevision("r1", "health gate failed", At, ["shop/web"]))
                .Add("r0", new FailedRevision("r0", "health gate failed", At)),
            History = [new HistoryEntry(At, "abc", HistoryResults.Converged, "2 changes")],
            ImageChecks = state.ImageChecks.Add("registry.example/app:1", At),
            PulledImages = [new PulledImage("sha256:1", "registry.example/app:1", ["shop/web"], At)],
        };
    }

    [Fact]
    public void StateFile_AnyFieldMissing_ReadsAsTheReflectionReaderReadIt()
    {
        // A file written by an older berth lacks the fields added since. The generated reader sets an absent
        // init-only property to its type's default where the reflection reader kept the initializer's value
        // (an empty array, the 10m job timeout): the models normalise those, and this proves it field by field
        // on the richest states, each field removed in turn.
        // The two services with the most fields set, in one state (every field of every service: too slow).
        var richestServices = DesiredStates()
            .SelectMany(desired => desired.AllServices)
            .OrderByDescending(service => JsonSerializer.Serialize(service, ReflectionStateJson).Length)
            .Take(2)
            .ToImmutableArray();
        var richestState = new DesiredState("h", [new StackSpec("s", [], [.. richestServices.Select((service, index) => service with { Stack = "s", Name = $"service{index}" })], [], [])], RepositorySettings.Default);
        var richest = new[] { JsonSerializer.Serialize(StateWith(richestState), ReflectionStateJson) };
        var compared = 0;
        foreach (var json in richest)
        {
            foreach (var path in ObjectPropertyPaths(JsonNode.Parse(json)!, []))
            {
                var without = JsonNode.Parse(json)!;
                RemoveAt(without, path);
                var text = without.ToJsonString();
                var reflected = Described(() => JsonSerializer.Deserialize<AppliedState>(text, ReflectionStateJson));
                var generated = Described(() => JsonSerializer.Deserialize(text, StateJsonContext.Default.AppliedState));
                Assert.True(reflected == generated, $"without {string.Join(" > ", path)}:\n reflection: {reflected}\n generated:  {generated}");
                compared++;
            }
        }

        Assert.True(compared > 100, $"only {compared} fields removed");
    }

    // What a reader made of a file, as the reflection writer writes it again (or how reading or writing failed).
    private static string Described(Func<AppliedState?> read)
    {
        try
        {
            return read() is { } state ? JsonSerializer.Serialize(state, ReflectionStateJson) : "null";
        }
        catch (Exception exception)
        {
            // Both readers may accept a record that cannot be written back (a missing spec part): they must agree on that too.
            return "throws " + exception.GetType().Name;
        }
    }

    // A path is a list of steps: a property name (string) or an array index (int); names may hold '/'.
    private static IEnumerable<ImmutableList<object>> ObjectPropertyPaths(JsonNode node, ImmutableList<object> prefix)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    var path = prefix.Add(name);
                    yield return path;
                    if (child is not null)
                    {
                        foreach (var nested in ObjectPropertyPaths(child, path))
                        {
                            yield return nested;
                        }
                    }
                }

                break;
            case JsonArray array:
                for (var index = 0; index < array.Count; index++)
                {
                    if (array[index] is { } child)
                    {
                        foreach (var nested in ObjectPropertyPaths(child, prefix.Add(index)))
                        {
                            yield return nested;
                        }
                    }
                }

                break;
        }
    }

    private static void RemoveAt(JsonNode root, ImmutableList<object> path)
    {
        var node = root;
        foreach (var step in path.RemoveAt(path.Count - 1))
        {
            node = step is int index ? node[index]! : node[(string)step]!;
        }

        node.AsObject().Remove((string)path[^1]);
    }
}
