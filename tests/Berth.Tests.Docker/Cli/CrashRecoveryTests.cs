using Berth.Tests.Infrastructure;

namespace Berth.Tests.Cli;

/// <summary>berth killed (SIGKILL) in the middle of a rollout: the next run finishes or undoes it.</summary>
public sealed class CrashRecoveryTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData("created ")]                        // new container exists, unproven: must be undone
    [InlineData("passed its health gate")]          // new one has the aliases, old one on its way out
    [InlineData("replaced ")]                       // first replica done, second not started
    public async Task Apply_KilledMidRollout_NextApplyConvergesWithExactlyOneContainerPerReplica(string killAfter)
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", harness.Host];
        Assert.Equal(0, (await BerthProcess.RunAsync(Timeout, ["apply", .. common])).ExitCode);

        repository.Write("berth.yaml", repository.Read("berth.yaml").Replace($"hello from the {harness.Host} host", "changed", StringComparison.Ordinal));
        using (var berth = BerthProcess.Start(["apply", .. common]))
        {
            await berth.WaitForOutputAsync(killAfter, Timeout);
            berth.Kill();
        }

        var (exitCode, output) = await BerthProcess.RunAsync(Timeout, ["apply", .. common]);

        Assert.True(exitCode == 0, output);
        var names = await harness.ManagedContainerNamesAsync();
        var stack = harness.Host;
        Assert.Equal([$"{stack}-db-1", $"{stack}-web-1", $"{stack}-web-2", $"{stack}-worker-1"], names);
        foreach (var web in new[] { $"{stack}-web-1", $"{stack}-web-2" })
        {
            var container = await harness.InspectAsync(web);
            Assert.Contains("GREETING=changed", container.Config.Env);
            Assert.Equal("healthy", container.State.Health.Status);
            Assert.Contains("shop-web".Replace("shop", stack, StringComparison.Ordinal), container.NetworkSettings.Networks[$"{stack}_backend"].Aliases);
        }

        Assert.Equal(0, (await BerthProcess.RunAsync(Timeout, ["plan", .. common])).ExitCode);
    }
}
