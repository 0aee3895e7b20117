using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.State;

/// <summary>
/// Secret-bearing values of the applied specs in berth's state: written as keyed hashes
/// (<see cref="StateKey"/>), put back from the engine when a rollback needs them.
/// </summary>
/// <remarks>
/// Which values: every environment value (the spec does not say which of them came from a host env file
/// or an interpolated host-local variable, and an environment is where secrets go, so all are hashed; the
/// names stay), and every other string of the spec that contains a secret value the pass knows
/// (<see cref="AppliedState.Secrets"/>: the desired state's, and those a rollback restored), whole: a
/// host-local or decrypted value interpolated into `command: redis-server --requirepass ${REDIS_PASSWORD}`,
/// an entrypoint, a health-check test, a label, a log option, an extra host, user, working directory or
/// hostname. A string is hashed whole rather than the value cut out of it, so the state file does not even
/// say where in a command a value was. Values shorter than <see cref="SecretValues.MinimumMaskedLength"/>
/// are not looked for (as in masking: they would hash half of every spec and are no secret anyway).
/// Keys (environment names, label names) are never hashed.
/// What needs the values back: only a rollback, which re-creates the last applied spec
/// (<see cref="AppliedService.RollbackSpec"/>). They are taken from a container that still runs that spec:
/// its inspect holds the strings it was created with (<see cref="ContainerConfigValues"/>, the same field
/// at the same place; <see cref="ContainersToRestoreFrom"/> says which container to inspect), and the
/// restored spec must hash to the applied config hash, so a value is never guessed. A hashed string in a
/// field the inspect does not give back (a secret in a port, a volume, an image name) cannot be restored:
/// that service then has no rollback spec, as when no container runs the applied config (removed by hand,
/// or drifted) or the state held no spec. Storing the values, encrypted, would be the other way; but the
/// key would sit next to them on the same host, and the containers are what actually ran.
/// </remarks>
public static class StoredSecrets
{
    private const string Container = "container";
    private const string Environment = "environment";

    /// <summary>
    /// The state as it is written: in every applied spec each environment value, and each other string
    /// containing one of <see cref="AppliedState.Secrets"/>, hashed.
    /// </summary>
    /// <param name="alreadyStored">
    /// The services of the record as it was last read or written (its stored form): an entry of
    /// <paramref name="state"/> that is the same instance was hashed then and is kept as it is, which makes
    /// the write of a pass that changed nothing cheap (the pass keeps unchanged entries: HostReconciler's
    /// RecordServices). A secret value that became known only since (a string of an unchanged spec that
    /// equals a new secret) is not hashed until that service changes: the file held that string already.
    /// </param>
    public static AppliedState ForStorage(AppliedState state, StateKey key, IReadOnlyDictionary<string, AppliedService>? alreadyStored = null)
    {
        var services = state.Services;
        foreach (var (name, service) in state.Services)
        {
            if (alreadyStored is not null && alreadyStored.TryGetValue(name, out var previous) && ReferenceEquals(previous, service))
            {
                continue;
            }

            var stored = service;
            if (service.Spec is { } spec && Transform(spec, (path, value) => ShouldHash(path, value, state.Secrets) ? key.Hash(value) : null) is { } hashed)
            {
                stored = stored with { Spec = hashed };
            }
            else if (service.Spec is { } unchanged && WithoutFileContent(unchanged) is { } withoutContent)
            {
                // What the file holds (and so what the store remembers of it): never the bytes of a secret file.
                stored = stored with { Spec = withoutContent };
            }

            // The image reference is also kept beside the spec (for the record only): the same rule holds.
            if (!StateKey.IsHash(service.Image) && state.Secrets.OccursIn(service.Image))
            {
                stored = stored with { Image = key.Hash(service.Image) };
            }

            if (!ReferenceEquals(stored, service))
            {
                services = services.SetItem(name, stored);
            }
        }

        return ReferenceEquals(services, state.Services) ? state : state with { Services = services };
    }

    /// <summary>The spec without its secrets' and configs' bytes (never written: <see cref="FileMountSpec.Content"/>); null when it holds none.</summary>
    private static ServiceSpec? WithoutFileContent(ServiceSpec spec)
    {
        static bool Held(ImmutableArray<FileMountSpec> files) => !files.IsDefaultOrEmpty && files.Any(file => file.Content is not null);
        static ImmutableArray<FileMountSpec> Dropped(ImmutableArray<FileMountSpec> files) =>
            Held(files) ? [.. files.Select(file => file with { Content = null })] : files;

        var container = spec.Container;
        return Held(container.Secrets) || Held(container.Configs)
            ? spec with { Container = container with { Secrets = Dropped(container.Secrets), Configs = Dropped(container.Configs) } }
            : null;
    }

    private static bool ShouldHash(IReadOnlyList<string> path, string value, SecretValues secrets) =>
        !StateKey.IsHash(value) && (IsEnvironmentValue(path) || secrets.OccursIn(value));

    private static bool IsEnvironmentValue(IReadOnlyList<string> path) =>
        path.Count == 3 && path[0] == Container && path[1] == Environment;

    /// <summary>Whether a stored spec still holds hashes instead of some values (then it cannot be re-created).</summary>
    /// <remarks>
    /// Asked of every applied service on every pass (<see cref="AppliedService.RollbackSpec"/>), so it is
    /// remembered per spec instance (a spec is immutable) and answered from the spec's serialized bytes,
    /// not a JSON tree: issue #16's profile found the tree walk a quarter of a no-op `apply` and most of
    /// the daemon's idle pass.
    /// </remarks>
    public static bool HoldsHashes(ServiceSpec spec) => HashesHeld.GetValue(spec, static spec => ScanForHashes(spec) ? True : False) == True;

    private static readonly ConditionalWeakTable<ServiceSpec, object> HashesHeld = new();
    private static readonly object True = new();
    private static readonly object False = new();

    private static bool ScanForHashes(ServiceSpec spec)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(spec, StateJsonContext.Default.ServiceSpec);
        if (json.AsSpan().IndexOf(HashPrefixUtf8) < 0)
        {
            return false; // the usual answer, in one vectorised search
        }

        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.String && StateKey.IsHash(reader.GetString()!))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly byte[] HashPrefixUtf8 = System.Text.Encoding.UTF8.GetBytes(StateKey.HashPrefix);

    /// <summary>Whether any applied spec holds a plain environment value (a state file written before values were hashed).</summary>
    public static bool HoldsPlainValues(AppliedState state) =>
        state.Services.Values.Any(service => service.Spec is { } spec && spec.Container.Environment.Values.Any(value => !StateKey.IsHash(value)));

    /// <summary>
    /// The containers whose config a pass needs (one per service, key "stack/service"): of each
    /// service whose stored spec holds hashes and whose desired config differs from the applied one (only a
    /// change can need a rollback), one that runs the applied config. A pass without changes inspects nothing.
    /// </summary>
    public static IReadOnlyDictionary<string, ObservedContainer> ContainersToRestoreFrom(AppliedState state, DesiredState desired, ObservedState observed)
    {
        var containers = new Dictionary<string, ObservedContainer>(StringComparer.Ordinal);
        foreach (var service in desired.AllServices)
        {
            if (state.Services.TryGetValue(service.QualifiedName, out var applied) && applied.ConfigHash != service.ConfigHash
                && applied.Spec is { } spec && HoldsHashes(spec)
                && observed.Containers.FirstOrDefault(container => container.QualifiedService == service.QualifiedName && container.ConfigHash == applied.ConfigHash) is { } container)
            {
                containers[service.QualifiedName] = container;
            }
        }

        return containers;
    }

    /// <summary>
    /// The state with each hashed string of a service put back from the same field of a container that ran
    /// its applied config (key "stack/service"); a spec that cannot be restored whole, to the applied config
    /// hash, keeps its hashes. Every restored string is added to <see cref="AppliedState.Secrets"/>: it may be
    /// an old secret value (rotated since), which copied text must be masked with and the next save must hash.
    /// </summary>
    public static AppliedState RestoreFrom(AppliedState state, IReadOnlyDictionary<string, ContainerConfigValues> containers)
    {
        var services = state.Services;
        var restoredValues = new List<string>();
        foreach (var (name, config) in containers)
        {
            if (state.Services.TryGetValue(name, out var service) && service.Spec is { } spec && HoldsHashes(spec))
            {
                var values = new List<string>();
                var complete = true;
                var restored = Transform(spec, (path, value) =>
                {
                    if (!StateKey.IsHash(value))
                    {
                        return null;
                    }

                    if (ValueAt(config, path) is { } actual)
                    {
                        values.Add(actual);
                        return actual;
                    }

                    complete = false;
                    return null;
                });
                if (complete && restored is not null && restored.ConfigHash == service.ConfigHash)
                {
                    services = services.SetItem(name, service with { Spec = restored });
                    restoredValues.AddRange(values);
                }
            }
        }

        return ReferenceEquals(services, state.Services)
            ? state
            : state with { Services = services, Secrets = state.Secrets.With(restoredValues) };
    }

    /// <summary>
    /// Where each spec field the inspect gives back is found there: the path is the field's place in the
    /// state file's JSON (snake_case names; dictionary keys and array indexes as they are). Null: not there.
    /// </summary>
    private static string? ValueAt(ContainerConfigValues config, IReadOnlyList<string> path)
    {
        if (path.Count < 2 || path[0] != Container)
        {
            return null;
        }

        return (path.Count, path[1]) switch
        {
            (3, Environment) => config.Environment.TryGetValue(path[2], out var value) ? value : null,
            (3, "command") => Element(config.Command, path[2]),
            (3, "entrypoint") => Element(config.Entrypoint, path[2]),
            (3, "labels") => config.Labels.GetValueOrDefault(path[2]),
            (3, "extra_hosts") => Element(config.ExtraHosts, path[2]),
            (4, "health_check") when path[2] == "test" => Element(config.HealthCheckTest, path[3]),
            (4, "logging") when path[2] == "options" => config.LogOptions.GetValueOrDefault(path[3]),
            (2, "user") => config.User,
            (2, "working_dir") => config.WorkingDir,
            (2, "hostname") => config.Hostname,
            _ => null,
        };
    }

    private static string? Element(ImmutableArray<string>? array, string index) =>
        array is { } items && int.TryParse(index, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var at) && at < items.Length
            ? items[at]
            : null;

    /// <summary>
    /// The spec with every string replaced by what <paramref name="replace"/> returns for it (null: kept),
    /// walked in the spec's state-file JSON so that no field is forgotten, today's or one added later; null
    /// when nothing was replaced.
    /// </summary>
    private static ServiceSpec? Transform(ServiceSpec spec, Func<IReadOnlyList<string>, string, string?> replace)
    {
        var tree = JsonSerializer.SerializeToNode(spec, StateJsonContext.Default.ServiceSpec)!;
        var replaced = false;
        Walk(tree, [], (node, path, value) =>
        {
            if (replace(path, value) is { } replacement)
            {
                ReplaceString(node, replacement);
                replaced = true;
            }
        });
        return replaced ? tree.Deserialize(StateJsonContext.Default.ServiceSpec) : null;
    }

    // Through the parent rather than JsonNode.ReplaceWith<T>, which is generic over reflection (Native AOT).
    // A string is never the root: the tree is a serialized ServiceSpec, an object.
    private static void ReplaceString(JsonNode node, string replacement)
    {
        switch (node.Parent)
        {
            case JsonObject parent:
                parent[node.GetPropertyName()] = JsonValue.Create(replacement);
                break;
            case JsonArray parent:
                parent[node.GetElementIndex()] = JsonValue.Create(replacement);
                break;
        }
    }

    private static void Walk(JsonNode node, ImmutableList<string> path, Action<JsonNode, IReadOnlyList<string>, string> visit)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToList())
                {
                    if (child is not null)
                    {
                        Walk(child, path.Add(name), visit);
                    }
                }

                break;
            case JsonArray array:
                for (var index = 0; index < array.Count; index++)
                {
                    if (array[index] is { } child)
                    {
                        Walk(child, path.Add(index.ToString(System.Globalization.CultureInfo.InvariantCulture)), visit);
                    }
                }

                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                visit(node, path, value.GetValue<string>());
                break;
        }
    }
}
