using Berth.Reconciler.Execution;
using Berth.Reconciler.Images;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Images;

/// <summary>
/// Images from a real registry (Debian's docker-registry on loopback): pulls with the host's credentials,
/// the registry's reasons when a pull cannot happen (and nothing touched then), and tags that move.
/// </summary>
public sealed class RegistryPullTests
{
    private const string User = "deployer";
    private const string Password = "correct-horse-battery";

    /// <summary>A web service on <paramref name="image"/>; healthy only while /www/version says 1 when <paramref name="healthyOnlyOnVersion1"/>.</summary>
    private static DesiredState WebState(ReconcileHarness harness, string image, PullPolicy pullPolicy, bool healthyOnlyOnVersion1 = false)
    {
        var container = WebContainer(image);
        if (healthyOnlyOnVersion1)
        {
            container = container with { HealthCheck = FastHealthCheck("grep -qx 1 /www/version || { echo version is not 1; exit 1; }") };
        }

        var web = Service(harness.StackName, "web", container) with { PullPolicy = pullPolicy };
        return Desired(harness.Host, Stack(harness.StackName, [web]));
    }

    private static async Task<string> VersionServedAsync(ReconcileHarness harness) =>
        (await harness.ExecAsync($"{harness.StackName}-web-1", "cat", "/www/version")).Trim();

    [Fact]
    public async Task Pull_WithCredentialsFromDockerConfigOverTls_RunsTheImage()
    {
        await using var registry = await LoopbackRegistry.StartAsync(new RegistryOptions(User, Password, Tls: true));
        await registry.PushAsync(TestImages.BusyboxV1, "team/web", "1");
        var credentials = new DockerConfigCredentials(registry.WriteDockerConfig(User, Password), TimeProvider.System);
        await using var harness = new ReconcileHarness(registryCredentials: credentials);

        var result = await harness.ApplyConvergedAsync(WebState(harness, registry.Reference("team/web", "1"), PullPolicy.Missing));

        Assert.Contains($"pull image {registry.Reference("team/web", "1")}: not present locally", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.Equal("1", await VersionServedAsync(harness));
    }

    [Fact]
    public async Task Pull_WrongCredentials_FailsWithTheRegistrysReasonAndTouchesNothing()
    {
        await using var registry = await LoopbackRegistry.StartAsync(new RegistryOptions(User, Password));
        await registry.PushAsync(TestImages.BusyboxV2, "team/web", "2");
        var credentials = new DockerConfigCredentials(registry.WriteDockerConfig(User, "wrong-password"), TimeProvider.System);
        await using var harness = new ReconcileHarness(registryCredentials: credentials);
        await harness.ApplyConvergedAsync(WebState(harness, TestImages.BusyboxV1, PullPolicy.Missing));
        var before = await harness.ContainerIdsAsync();

        var result = await harness.ApplyAsync(WebState(harness, registry.Reference("team/web", "2"), PullPolicy.Missing));

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var service = Assert.Single(result.Report!.Services);
        Assert.Equal(RolloutResult.Failed, service.Result);
        Assert.Contains($"pulling {registry.Reference("team/web", "2")} failed", result.Summary + service.Message, StringComparison.Ordinal);
        Assert.Contains("unauthorized", (result.Summary + service.Message).ToLowerInvariant(), StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", result.Summary + service.Message, StringComparison.Ordinal);
        Assert.Equal(before, await harness.ContainerIdsAsync());
        Assert.Equal("1", await VersionServedAsync(harness));
    }

    [Fact]
    public async Task Pull_ImageMissingFromTheRegistry_FailsWithManifestUnknownAndTouchesNothing()
    {
        await using var registry = await LoopbackRegistry.StartAsync();
        await using var harness = new ReconcileHarness();
        await harness.ApplyConvergedAsync(WebState(harness, TestImages.BusyboxV1, PullPolicy.Missing));
        var before = await harness.ContainerIdsAsync();

        var result = await harness.ApplyAsync(WebState(harness, registry.Reference("team/absent", "1"), PullPolicy.Missing));

        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var service = Assert.Single(result.Report!.Services);
        Assert.Contains("manifest unknown", service.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await harness.ContainerIdsAsync());
    }

    [Fact]
    public async Task TagMoved_HealthyImage_IsPulledAndRolledOutWithTheMoveAsCause()
    {
        await using var registry = await LoopbackRegistry.StartAsync(new RegistryOptions(User, Password));
        var first = await registry.PushAsync(TestImages.BusyboxV1, "team/web", "stable");
        var credentials = new DockerConfigCredentials(registry.WriteDockerConfig(User, Password), TimeProvider.System);
        await using var harness = new ReconcileHarness(registryCredentials: credentials);
        var desired = WebState(harness, registry.Reference("team/web", "stable"), PullPolicy.Always);
        await harness.ApplyConvergedAsync(desired);
        Assert.Equal(ApplyOutcome.UpToDate, (await harness.ApplyAsync(desired)).Outcome);

        var moved = await registry.MoveTagAsync(TestImages.BusyboxV2, "team/web", "stable");
        var result = await harness.ApplyConvergedAsync(desired);

        var cause = $"image tag moved: {RegistryReference.ShortDigest(first)} → {RegistryReference.ShortDigest(moved)}";
        var plan = result.Plan.ToString();
        Assert.Contains($"pull image {registry.Reference("team/web", "stable")}: {cause}", plan, StringComparison.Ordinal);
        Assert.Contains(cause, plan.Split('\n').Single(line => line.Contains("replace", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(ApplyOutcome.Applied, result.Outcome);
        Assert.Equal("2", await VersionServedAsync(harness));
        Assert.Equal(ApplyOutcome.UpToDate, (await harness.ApplyAsync(desired)).Outcome);
    }

    [Fact]
    public async Task TagMoved_UnhealthyImage_IsRolledBackAndTheOldContainerKeepsServing()
    {
        await using var registry = await LoopbackRegistry.StartAsync();
        await registry.PushAsync(TestImages.BusyboxV1, "team/web", "stable");
        await using var harness = new ReconcileHarness();
        var desired = WebState(harness, registry.Reference("team/web", "stable"), PullPolicy.Always, healthyOnlyOnVersion1: true);
        await harness.ApplyConvergedAsync(desired);
        var before = await harness.ContainerIdsAsync();

        await registry.MoveTagAsync(TestImages.BusyboxV2, "team/web", "stable");
        var result = await harness.ApplyAsync(desired);

        Assert.Contains("image tag moved: sha256:", result.Plan.ToString(), StringComparison.Ordinal);
        Assert.Equal(ApplyOutcome.Failed, result.Outcome);
        var service = Assert.Single(result.Report!.Services);
        Assert.Equal(RolloutResult.RolledBack, service.Result);
        Assert.Equal(before, await harness.ContainerIdsAsync());
        Assert.Equal("1", await VersionServedAsync(harness));
    }

    [Fact]
    public async Task DigestPinnedImage_IsPulledAndNeverChecked()
    {
        await using var registry = await LoopbackRegistry.StartAsync();
        var digest = await registry.PushAsync(TestImages.BusyboxV1, "team/web", "stable");
        await using var harness = new ReconcileHarness();
        var desired = WebState(harness, $"{registry.Address}/team/web@{digest}", PullPolicy.Always);
        await harness.ApplyConvergedAsync(desired);

        await registry.MoveTagAsync(TestImages.BusyboxV2, "team/web", "stable");
        var again = await harness.ApplyAsync(desired);

        Assert.Equal(ApplyOutcome.UpToDate, again.Outcome);
        Assert.Empty(again.Plan.Notices);
        Assert.Equal("1", await VersionServedAsync(harness));
    }

    [Fact]
    public async Task RegistryDown_CheckIsReportedAndAPullFailsWhileTheOldContainerKeepsServing()
    {
        await using var registry = await LoopbackRegistry.StartAsync();
        await registry.PushAsync(TestImages.BusyboxV1, "team/web", "stable");
        await registry.PushAsync(TestImages.BusyboxV2, "team/web", "2");
        await using var harness = new ReconcileHarness();
        var desired = WebState(harness, registry.Reference("team/web", "stable"), PullPolicy.Always);
        await harness.ApplyConvergedAsync(desired);
        var before = await harness.ContainerIdsAsync();
        await registry.StopServingAsync();

        // The scheduled check cannot reach the registry: reported, nothing changes, the pass is not a failure.
        var checkWhileDown = await harness.ApplyAsync(desired);
        Assert.Equal(ApplyOutcome.UpToDate, checkWhileDown.Outcome);
        var notice = Assert.Single(checkWhileDown.Plan.Notices);
        Assert.Contains($"registry check failed, keeping the local image: registry {registry.Address} is unreachable", notice.Message, StringComparison.Ordinal);

        // A rollout that needs a pull from it: the pull fails before any container is touched.
        var rollout = await harness.ApplyAsync(WebState(harness, registry.Reference("team/web", "2"), PullPolicy.Missing));
        Assert.NotEqual(ApplyOutcome.Applied, rollout.Outcome);
        Assert.Contains("pulling", Assert.Single(rollout.Report!.Services).Message, StringComparison.Ordinal);
        Assert.Equal(before, await harness.ContainerIdsAsync());
        Assert.Equal("1", await VersionServedAsync(harness));
    }

    [Fact]
    public async Task PeriodicPolicy_BeforeItsIntervalPassed_AsksNoRegistry()
    {
        await using var registry = await LoopbackRegistry.StartAsync();
        await registry.PushAsync(TestImages.BusyboxV1, "team/web", "stable");
        await using var harness = new ReconcileHarness();
        var desired = WebState(harness, registry.Reference("team/web", "stable"), PullPolicy.Every(TimeSpan.FromHours(1)));
        await harness.ApplyConvergedAsync(desired);
        await harness.ApplyAsync(desired); // the first scheduled check (the image was just pulled), recorded in the state

        var checkedAt = (await harness.StateStore.LoadAsync(harness.Host, CancellationToken.None)).ImageChecks;
        Assert.True(checkedAt.ContainsKey(registry.Reference("team/web", "stable")));
        await registry.MoveTagAsync(TestImages.BusyboxV2, "team/web", "stable");
        await registry.StopServingAsync();
        var result = await harness.ApplyAsync(desired);

        // Not due for an hour: the move is not seen yet, and the registry being down costs nothing.
        Assert.Equal(ApplyOutcome.UpToDate, result.Outcome);
        Assert.Empty(result.Plan.Notices);
    }
}
