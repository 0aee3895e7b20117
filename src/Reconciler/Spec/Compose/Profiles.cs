using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Berth.Reconciler.Spec.Interpolation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// Compose profiles: a service with `profiles:` runs only when one of its profiles is active; a service
/// without runs always. Which are active is chosen per stack in berth.yaml (`stacks.NAME.profiles`, as
/// `--profile` for docker compose), or else by COMPOSE_PROFILES among the stack's variables (the project's
/// `.env`, berth.yaml vars, the host's files and environment), as docker compose reads it; so a host var
/// can switch a profile on for one host. `*` activates every profile.
/// </summary>
internal static partial class Profiles
{
    public const string All = "*";

    public const string EnvironmentVariable = "COMPOSE_PROFILES";

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>
    /// Removes from <paramref name="merged"/> the services whose profiles are all inactive, after
    /// reporting every active service that still refers to one of them (Compose refuses those too).
    /// </summary>
    /// <param name="stackProfiles">berth.yaml's `profiles:` for the stack; null when not set.</param>
    public static void Apply(ComposeFileDraft merged, string stackName, ImmutableArray<Located<string>>? stackProfiles, VariableSet variables, NodeReader reader)
    {
        var active = ActiveProfiles(stackProfiles, variables);
        if (stackProfiles is { } named)
        {
            // A profile no service has is a typo: it would silently activate nothing.
            var known = merged.Services.Values.SelectMany(service => service.Profiles).Select(profile => profile.Value).ToHashSet(StringComparer.Ordinal);
            foreach (var profile in named.Where(profile => profile.Value != All && !known.Contains(profile.Value)))
            {
                var hint = reader.Hint(profile.Value, known);
                reader.Error(profile.At, $"stacks.{stackName}.profiles: no service of stack '{stackName}' has profile '{profile.Value}'" + (hint.Length > 0 ? hint : known.Count > 0 ? $" (its profiles: {string.Join(", ", known.Order(StringComparer.Ordinal))})" : " (none of its services has profiles)"));
            }
        }

        var inactive = merged.Services.Values
            .Where(service => service.Profiles.Count > 0 && !active.Contains(All) && !service.Profiles.Any(profile => active.Contains(profile.Value)))
            .ToDictionary(service => service.Name, StringComparer.Ordinal);
        InactiveServices.Remove(merged, inactive, service => RunsOnlyWith(service, stackName, stackProfiles is not null), reader);
    }

    private static HashSet<string> ActiveProfiles(ImmutableArray<Located<string>>? stackProfiles, VariableSet variables)
    {
        if (stackProfiles is { } named)
        {
            return named.Select(profile => profile.Value).ToHashSet(StringComparer.Ordinal);
        }

        return variables.TryGet(EnvironmentVariable, out var value)
            ? value.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)
            : [];
    }

    private static string RunsOnlyWith(ServiceDraft service, string stackName, bool fromInventory)
    {
        var profiles = string.Join(", ", service.Profiles.Select(profile => $"'{profile.Value}'"));
        var where = fromInventory ? $"stacks.{stackName}.profiles in berth.yaml" : $"stacks.{stackName}.profiles in berth.yaml or {EnvironmentVariable}";
        return $"runs only with profile {profiles}, not active here; activate it ({where}), or give '{service.Name}''s dependants the same profile";
    }

    // Compose's rule for profile names.
    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
