using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// Compose's <c>pull_policy</c>: always, missing (also if_not_present), never, daily, weekly,
/// every_&lt;duration&gt; (Go's duration grammar, as Compose: every_12h, every_1h30m). <c>build</c> is refused:
/// berth does not build images. docs/images.md.
/// </summary>
internal static class PullPolicySyntax
{
    private const string EveryPrefix = "every_";

    /// <summary>The longest every_&lt;duration&gt; accepted: a year. Longer is "never check", which is what missing says.</summary>
    private static readonly TimeSpan LongestInterval = TimeSpan.FromDays(365);

    private static readonly string[] Accepted = ["always", "missing", "if_not_present", "never", "daily", "weekly", "every_<duration>"];

    public static PullPolicy? Read(NodeReader reader, Node node, string path)
    {
        if (reader.Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        switch (scalar.Value)
        {
            case "always":
                return PullPolicy.Always;
            case "missing" or "if_not_present":
                return PullPolicy.Missing;
            case "never":
                return PullPolicy.Never;
            case "daily":
                return PullPolicy.Daily;
            case "weekly":
                return PullPolicy.Weekly;
            case "build":
                reader.Error(node, $"{path}: build is not supported: berth does not build images. Build and push the image elsewhere, then set 'image' and a pull_policy of {string.Join(", ", Accepted)}");
                return null;
        }

        if (scalar.Value.StartsWith(EveryPrefix, StringComparison.Ordinal))
        {
            var text = scalar.Value[EveryPrefix.Length..];
            if (!DurationSyntax.TryParse(text, out var interval, out var problem))
            {
                reader.Error(node, DurationSyntax.InvalidMessage(path, $"'{text}' (after {EveryPrefix})", problem));
                return null;
            }

            if (interval <= TimeSpan.Zero)
            {
                reader.Error(node, $"{path}: {scalar.Describe()} must name a positive interval (use always to ask the registry on every pass)");
                return null;
            }

            if (interval > LongestInterval)
            {
                reader.Error(node, DurationSyntax.TooLongMessage(path, scalar.Describe(), LongestInterval));
                return null;
            }

            return PullPolicy.Every(interval);
        }

        reader.Error(node, $"{path} must be one of {string.Join(", ", Accepted)}, not {scalar.Describe()}");
        return null;
    }
}
