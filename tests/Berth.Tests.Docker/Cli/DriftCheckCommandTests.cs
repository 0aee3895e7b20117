using Berth.Tests.Infrastructure;
using Docker.DotNet.Models;

namespace Berth.Tests.Cli;

/// <summary>`berth plan --drift-check` and `berth apply --drift-check` as a user runs them, after a `docker update` by hand.</summary>
public sealed class DriftCheckCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task DriftCheck_RestartPolicyChangedByHand_OnlyTheDriftCheckSeesItAndApplyRestoresIt()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", harness.Host];
        Assert.Equal(0, (await BerthProcess.RunAsync(Timeout, ["apply", .. common])).ExitCode);
        var name = $"{harness.Host}-web-1";
        await DockerCli.RunAsync("update", "--restart", "always", name);

        var (planExit, planOutput) = await BerthProcess.RunAsync(Timeout, ["plan", .. common]);
        var (checkExit, checkOutput) = await BerthProcess.RunAsync(Timeout, ["plan", "--drift-check", .. common]);
        var (applyExit, applyOutput) = await BerthProcess.RunAsync(Timeout, ["apply", "--drift-check", .. common]);

        // The list does not carry the restart policy: a plain plan sees nothing.
        Assert.True(planExit == 0, planOutput);
        Assert.Equal(2, checkExit);
        Assert.Contains($"replace container {name} ({harness.Host}/web #1, start-first): changed outside berth (docker update): restart", checkOutput, StringComparison.Ordinal);
        Assert.True(applyExit == 0, applyOutput);
        Assert.Equal(RestartPolicyKind.No, (await harness.InspectAsync(name)).HostConfig.RestartPolicy.Name);
        Assert.Equal(0, (await BerthProcess.RunAsync(Timeout, ["plan", "--drift-check", .. common])).ExitCode);
    }
}
