using System.Diagnostics;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Cli;

/// <summary>
/// The README's first command, `scripts/run-example.sh`, run as a user runs it: engine check, test
/// images, build, validate, apply, and a second plan that must show no changes. On a renamed copy of
/// the example (the test's own host and stack), so it never touches the example a developer runs.
/// </summary>
public sealed class RunExampleScriptTests
{
    [Fact]
    public async Task RunExample_OnACopyOfTheExample_ConvergesAndTheSecondPlanHasNoChanges()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.FromExample(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        var startInfo = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestRepository.RepositoryRoot(),
        };
        startInfo.ArgumentList.Add("scripts/run-example.sh");
        startInfo.Environment["BERTH_EXAMPLE_HOST"] = harness.Host;
        startInfo.Environment["BERTH_EXAMPLE_REPO"] = repository.Directory;
        startInfo.Environment["BERTH_EXAMPLE_STATE_DIR"] = state.Directory;

        using var script = Process.Start(startInfo)!;
        var stdout = script.StandardOutput.ReadToEndAsync();
        var stderr = script.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
        {
            await script.WaitForExitAsync(timeout.Token);
        }

        var output = await stdout + await stderr;
        Assert.True(script.ExitCode == 0, output);
        Assert.Contains("converged", output, StringComparison.Ordinal);
        var secondPlan = output[output.IndexOf("--- second plan", StringComparison.Ordinal)..];
        Assert.Contains($"plan for host {harness.Host}: no changes", secondPlan, StringComparison.Ordinal);
        Assert.Equal(4, (await harness.ManagedContainerNamesAsync()).Count);
    }
}
