using Berth.Tests.Infrastructure;
using Berth.Tests.Shared;

namespace Berth.Tests.Cli;

/// <summary>
/// The SOPS round trip as a user runs it: an env_file encrypted in the repository to one host's age
/// key, `berth apply --age-key` on that host puts the value in the container's environment without
/// printing it; the same repository with another host's key is refused with a clear error.
/// </summary>
public sealed class SopsApplyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private const string Password = "sops-decrypted-pa55word";

    [Fact]
    public async Task Apply_EnvFileEncryptedToThisHost_ContainerGetsTheValueAndNoOutputShowsIt()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        using var keys = TestRepository.Empty(harness.Host + "-keys");
        var hostKey = SopsTestFiles.NewAgeKey(keys.Directory, "this-host.key");
        var otherKey = SopsTestFiles.NewAgeKey(keys.Directory, "other-host.key");
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{}}\nstacks:\n  {harness.Host}:\n    compose: compose.yaml\n    hosts: [{harness.Host}]\n");
        repository.Write("compose.yaml", $"""
            services:
              db:
                image: {TestImages.BusyboxV1}
                command: ["sleep", "3600"]
                env_file: secrets.env
            """);
        repository.Write("secrets.env", SopsTestFiles.Dotenv([("DB_PASSWORD", Password)], hostKey.Recipient));
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", harness.Host];

        var (applyExit, applyOutput) = await BerthProcess.RunAsync(Timeout, ["apply", .. common, "--age-key", hostKey.KeyFile]);

        Assert.True(applyExit == 0, applyOutput);
        Assert.DoesNotContain(Password, applyOutput, StringComparison.Ordinal);
        var container = await harness.InspectAsync($"{harness.Host}-db-1");
        Assert.Contains($"DB_PASSWORD={Password}", container.Config.Env);
        var (planExit, planOutput) = await BerthProcess.RunAsync(Timeout, ["plan", .. common, "--age-key", hostKey.KeyFile]);
        Assert.True(planExit == 0, planOutput);
        Assert.DoesNotContain(Password, planOutput, StringComparison.Ordinal);

        // Another host's key: refused before anything is touched, naming the recipients and this key.
        var idsBefore = await harness.ContainerIdsAsync();
        var (refusedExit, refusedOutput) = await BerthProcess.RunAsync(Timeout, ["apply", .. common, "--age-key", otherKey.KeyFile]);

        Assert.Equal(1, refusedExit);
        Assert.Contains($"secrets.env:2:1: is encrypted to {hostKey.Recipient}; this host's key ({otherKey.Recipient}) is not among them", refusedOutput, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", refusedOutput, StringComparison.Ordinal);
        Assert.Equal(idsBefore, await harness.ContainerIdsAsync());
    }
}
