using Berth.Reconciler.Loop;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Daemon;

/// <summary>
/// The host policy in the real daemon's config, against a real git repository and the real engine:
/// a commit that asks for more than the host allows is refused like an invalid one, and what runs
/// keeps running.
/// </summary>
public sealed class DaemonPolicyTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Daemon_CommitViolatingTheHostPolicy_IsRefusedWithThePlaceAndTheKey_WhatRunsKeepsRunning()
    {
        await using var harness = new ReconcileHarness();
        using var git = GitRepository.WithExample(harness.Host);
        var first = git.CommitAndPush("initial desired state");
        await using var daemon = await RealDaemon.StartAsync(harness.Host, git, policy: "  capabilities: [NET_BIND_SERVICE]\n");
        await daemon.WaitForStatusAsync(status => status.LastApplied?.Revision == first, "the first commit (within the policy) to be applied", Converge);
        var idsBefore = await harness.ContainerIdsAsync();

        // The worker asks for the host's whole kernel: the commit is valid Compose, but not on this host.
        var compose = $"stacks/{harness.Host}/compose.yaml";
        var lines = git.Read(compose).Split('\n').ToList();
        var workerImage = lines.FindIndex(line => line == "  worker:") + 1;
        lines.Insert(workerImage + 1, "    privileged: true");
        lines.Insert(workerImage + 2, "    cap_add: [SYS_ADMIN]");
        git.Write(compose, string.Join('\n', lines));
        var violating = git.CommitAndPush("worker: privileged");
        var refused = await daemon.WaitForStatusAsync(status => status.LastAttempted?.Revision == violating, "the violating commit to be attempted", Converge);

        Assert.Equal(PassOutcome.Stalled, refused.LastAttempted!.Outcome);
        Assert.Equal("InvalidCommit", refused.LastAttempted.Reason);
        var summary = refused.LastAttempted.Summary;
        Assert.True(summary.Contains($"{compose}:{workerImage + 2}:17: services.worker.privileged: ", StringComparison.Ordinal), summary);
        Assert.Contains("policy.privileged: true would allow it", summary, StringComparison.Ordinal);
        // The status names the first violation; the log has every one.
        Assert.Contains($"{compose}:{workerImage + 3}:15: services.worker.cap_add: capability SYS_ADMIN", daemon.Output, StringComparison.Ordinal);
        Assert.Equal(first, refused.LastApplied!.Revision);
        Assert.Contains(refused.Conditions, condition => condition.Type == ConditionTypes.Stalled && condition.Status == ConditionStatus.True);

        // Nothing was touched: the same containers, all still running, none of them privileged.
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
        foreach (var name in idsBefore.Keys)
        {
            var inspect = await harness.InspectAsync(name);
            Assert.True(inspect.State.Running, $"{name} should still be running");
            Assert.False(inspect.HostConfig.Privileged);
        }

        // The next pass holds the same refusal; it does not retry into an apply.
        var held = await daemon.WaitForStatusAsync(status => status.LastAttempted is { } attempted && attempted.Number > refused.LastAttempted.Number, "a later pass", Converge);
        Assert.Equal(("InvalidCommit", violating, first), (held.LastAttempted!.Reason, held.LastAttempted.Revision, held.LastApplied!.Revision));
    }
}
