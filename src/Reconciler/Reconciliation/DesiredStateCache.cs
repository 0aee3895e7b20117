using Berth.Reconciler.Spec;

namespace Berth.Reconciler.Reconciliation;

/// <summary>
/// The daemon's last loaded commit, kept between passes: a pass whose tip did not move loads it again only
/// when something it read from the host changed (<see cref="HostInputs"/>: a host env file, a secret file, a
/// link the policy followed, a key). An idle pass then neither parses nor validates nor hashes; the
/// <see cref="Spec.Model.ServiceSpec"/>s it plans with are the same instances, whose config hashes are computed once.
/// </summary>
/// <remarks>
/// What a load reads from the commit is the exported tree, which the git source keeps, unchanged, while the
/// tip stays; what it reads from elsewhere is recorded and checked again (read, followed) on every pass, so a
/// rotated secret still takes effect at the next pass, without a commit (docs/reconcile.md, "The loaded commit").
/// One entry: a daemon follows one branch for one host. Passes never overlap; the entry is swapped whole.
/// The kept result holds what a load holds (secret values among them) between passes, as the daemon's memory
/// held them during each pass before: the process's memory is not a place berth hides secrets from.
/// </remarks>
public sealed class DesiredStateCache
{
    private Entry? last;
    private long reused;
    private long loaded;

    /// <summary>Loads that were answered from the kept result.</summary>
    public long Reused => Interlocked.Read(ref reused);

    /// <summary>Loads that ran.</summary>
    public long Loaded => Interlocked.Read(ref loaded);

    /// <summary>The kept result when the same commit's tree is loaded for the same host with the same options and no host input changed; otherwise <paramref name="load"/>'s, then kept.</summary>
    internal HostLoadResult Load(string commitSha, string treeDirectory, string hostDirectory, string host, SpecLoadOptions options, Func<HostLoadResult> load)
    {
        var entry = Volatile.Read(ref last);
        if (entry is not null
            && entry.CommitSha == commitSha
            && entry.TreeDirectory == treeDirectory
            && entry.HostDirectory == hostDirectory
            && entry.Host == host
            && entry.Options.SameInputsAs(options)
            && entry.Inputs.Unchanged())
        {
            Interlocked.Increment(ref reused);
            return entry.Result;
        }

        var (result, inputs) = HostInputs.Record(load);
        // Only a load without errors is kept. An error may come from the host and pass by itself (age not
        // installed yet or too slow to answer, a read failing midway) without any recorded input changing; an
        // invalid commit is simply loaded again on every pass, as it always was.
        Volatile.Write(ref last, result.Errors.IsEmpty ? new Entry(commitSha, treeDirectory, hostDirectory, host, options, inputs, result) : null);
        Interlocked.Increment(ref loaded);
        return result;
    }

    private sealed record Entry(string CommitSha, string TreeDirectory, string HostDirectory, string Host, SpecLoadOptions Options, HostInputs Inputs, HostLoadResult Result);
}
