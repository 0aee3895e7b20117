namespace Berth.Reconciler.Execution;

/// <summary>
/// How many image pulls one pass runs at once, across all its parallel units. Pulls of different images
/// share the host's network link and the engine's extraction: unbounded, a deploy of many new images
/// splits the bandwidth so that every pull finishes late instead of the first ones finishing early, and
/// a registry's rate limit sees a burst. Units run without a bound of their own (<see cref="PlanExecutor"/>), so
/// each kind of heavy engine work has its own: creates and starts <see cref="StartSlots"/>, downloads this one.
/// </summary>
/// <remarks>A slot is held for one engine pull only (<see cref="CallSlots"/>).</remarks>
public sealed class PullSlots(int limit) : CallSlots(limit)
{
    /// <summary>The default, 3, like dockerd's own default bound on layer downloads at once (max-concurrent-downloads).</summary>
    public const int DefaultLimit = 3;
}
