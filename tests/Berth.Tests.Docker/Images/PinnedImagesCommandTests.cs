using Berth.Tests.Infrastructure;

namespace Berth.Tests.Images;

/// <summary>
/// Pinned images as a user meets them: the real `berth` binary, a repository on disk, the real engine.
/// A host policy (`--policy` file) or the repository's berth.yaml that requires pinned images refuses
/// `:latest` at the `image:` value, in validate and in apply, and what runs keeps running.
/// </summary>
public sealed class PinnedImagesCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task ValidateAndApply_HostPolicyPinnedTag_RefusesLatest_AtTheImageValue_AndKeepsWhatRuns()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        using var state = TestRepository.Empty(harness.Host + "-state");
        var host = harness.Host;
        repository.Write("berth.yaml", $"hosts:\n  {host}: {{}}\nstacks:\n  {host}:\n    compose: app.yaml\n    hosts: [{host}]\n");
        repository.Write("app.yaml", $"services:\n  app:\n    image: {TestImages.BusyboxV1}\n    command: [sleep, '3600']\n    init: true\n");
        var policyFile = Path.Combine(state.Directory, "policy.yaml");
        state.Write("policy.yaml", "policy:\n  capabilities: [ALL]\n  pinnedImages: tag\n");
        string[] common = ["--state-dir", state.Directory, "--repo", repository.Directory, "--host", host, "--policy", policyFile];

        var (applyExit, applyOutput) = await BerthProcess.RunAsync(Timeout, ["apply", .. common]);
        Assert.True(applyExit == 0, applyOutput);
        var before = await harness.ContainerIdsAsync();
        Assert.Single(before);

        // `latest`, written or implied: refused where it is written.
        repository.Write("app.yaml", "services:\n  app:\n    image: berth-test/busybox:latest\n    command: [sleep, '3600']\n    init: true\n");
        var (validateExit, validateOutput) = await BerthProcess.RunAsync(Timeout, ["validate", "--repo", repository.Directory, "--host", host, "--policy", policyFile]);
        Assert.Equal(1, validateExit);
        Assert.Contains("app.yaml:3:12: services.app.image: 'berth-test/busybox:latest' names latest, a tag that moves (name a version or a digest); refused by this host's policy (policy.pinnedImages: tag)", validateOutput, StringComparison.Ordinal);

        var (refusedExit, refusedOutput) = await BerthProcess.RunAsync(Timeout, ["apply", .. common]);
        Assert.Equal(1, refusedExit);
        Assert.Contains("app.yaml:3:12: services.app.image:", refusedOutput, StringComparison.Ordinal);
        Assert.Equal(before, await harness.ContainerIdsAsync());
    }

    [Fact]
    public async Task Validate_RepositoryPolicyPinnedDigest_RefusesATag_NamingTheRepositorysRule()
    {
        await using var harness = new ReconcileHarness();
        using var repository = TestRepository.Empty(harness.Host);
        var host = harness.Host;
        repository.Write("berth.yaml", $"policy:\n  pinnedImages: digest\nhosts:\n  {host}: {{}}\nstacks:\n  {host}:\n    compose: app.yaml\n    hosts: [{host}]\n");
        repository.Write("app.yaml", $"services:\n  app:\n    image: {TestImages.BusyboxV1}\n");

        var (exit, output) = await BerthProcess.RunAsync(Timeout, ["validate", "--repo", repository.Directory, "--host", host]);

        Assert.Equal(1, exit);
        Assert.Contains($"app.yaml:3:12: services.app.image: '{TestImages.BusyboxV1}' is not pinned by digest (name@sha256:... or name:tag@sha256:...); refused by the repository's policy (berth.yaml:2:17: policy.pinnedImages: digest)", output, StringComparison.Ordinal);
    }
}
