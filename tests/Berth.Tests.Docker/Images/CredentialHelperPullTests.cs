using Berth.Reconciler.Execution;
using Berth.Reconciler.Images;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Images;

/// <summary>
/// Pulls and moving-tag checks against a real registry with htpasswd auth (Debian's docker-registry on
/// loopback) whose credential comes from a real credential helper: the host's config.json names a
/// <c>credHelpers</c> entry for the registry, and <c>docker-credential-&lt;name&gt; get</c> is an executable
/// script that answers with the user and secret (or fails), as docker-credential-pass or -ecr-login would.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CredentialHelperPullTests : IDisposable
{
    private const string User = "deployer";
    private const string Password = "correct-horse-battery";
    private const string HelperName = "berthtest";

    private readonly string helperDirectory = Directory.CreateTempSubdirectory("berth-credential-helper-").FullName;

    private string CallLog => Path.Combine(helperDirectory, "calls.log");

    public void Dispose() => Directory.Delete(helperDirectory, recursive: true);

    /// <summary>
    /// Writes docker-credential-berthtest, which logs the server it was asked for (stdin) and then runs
    /// <paramref name="answer"/>, and a config.json that names it for <paramref name="registry"/>.
    /// </summary>
    private DockerConfigCredentials HelperFor(LoopbackRegistry registry, string answer)
    {
        var helper = Path.Combine(helperDirectory, "docker-credential-" + HelperName);
        File.WriteAllText(helper, $$"""
            #!/bin/sh
            [ "$1" = get ] || { echo "unexpected action $1" >&2; exit 2; }
            read -r server
            echo "$server" >> '{{CallLog}}'
            {{answer}}
            """.Replace("\r", ""));
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var configPath = Path.Combine(helperDirectory, "config.json");
        File.WriteAllText(configPath, $$"""{ "credHelpers": { "{{registry.Address}}": "{{HelperName}}" } }""");
        return new DockerConfigCredentials(configPath, TimeProvider.System) { HelperDirectory = helperDirectory };
    }

    private static string Answering(string user, string secret) =>
        $$"""printf '{"ServerURL":"%s","Username":"{{user}}","Secret":"{{secret}}"}\n' "$server" """;

    private string[] HelperCalls() => File.Exists(CallLog) ? File.ReadAllLines(CallLog) : [];

    private static DesiredState WebState(ReconcileHarness harness, string image, PullPolicy pullPolicy) =>
        Desired(harness.Host, Stack(harness.StackName, [Service(harness.StackName, "web", WebContainer(image)) with { PullPolicy = pullPolicy }]));

    private static async Task<string> VersionServedAsync(ReconcileHarness harness) =>
        (await harness.ExecAsync($"{harness.StackName}-web-1", "cat", "/www/version")).Trim();

    [Fact]
    public async Task CredHelper_PrivateImage_IsPulledAndItsMovedTagCheckedWithTheHelpersCredential()
    {
        await using var registry = await LoopbackRegistry.StartAsync(new RegistryOptions(User, Password));
        var first = await registry.PushAsync(TestImages.BusyboxV1, "team/web", "stable");
        await using var harness = new ReconcileHarness(registryCredentials: HelperFor(registry, Answering(User, Password)));
        var desired = WebState(harness, registry.Reference("team/web", "stable"), PullPolicy.Always);

        var pulled = await harness.ApplyConvergedAsync(desired);

        Assert.Contains($"pull image {registry.Reference("team/web", "stable")}: not present locally", pulled.Plan.ToString(), StringComparison.Ordinal);
        Assert.Equal("1", await VersionServedAsync(harness));
        Assert.Contains(registry.Address, HelperCalls());

        // The registry answers a manifest HEAD only with credentials: the move is seen through the same helper.
        var callsBeforeCheck = HelperCalls().Length;
        var moved = await registry.MoveTagAsync(TestImages.BusyboxV2, "team/web", "stable");
        var rolledOut = await harness.ApplyConvergedAsync(desired);

        Assert.Contains($"image tag moved: {RegistryReference.ShortDigest(first)} → {RegistryReference.ShortDigest(moved)}", rolledOut.Plan.ToString(), StringComparison.Ordinal);
        Assert.Empty(rolledOut.Plan.Notices);
        Assert.Equal("2", await VersionServedAsync(harness));
        Assert.True(HelperCalls().Length > callsBeforeCheck, "the check and the pull ask the helper again (a rotated secret is used at once)");
    }

    [Fact]
    public async Task CredHelper_WrongCredentials_PullFailsWithTheRegistrysReasonAndTheOldContainerKeepsServing()
    {
        const string WrongSecret = "helper-wrong-secret";
        await using var registry = await LoopbackRegistry.StartAsync(new RegistryOptions(User, Password));
        await registry.PushAsync(TestImages.BusyboxV2, "team/web", "2");
        await using var harness = new ReconcileHarness(registryCredentials: HelperFor(registry, Answering(User, WrongSecret)));
        await harness.ApplyConvergedAsync(WebState(harness, TestImages.BusyboxV1, PullPolicy.Missing));
        var before = await harness.ContainerIdsAsync();

        var result = await harness.ApplyAsync(WebState(harness, registry.Reference("team/web", "2"), PullPolicy.Missing));

        var service = Assert.Single(result.Report!.Services);
        var reported = result.Summary + service.Message;
        Assert.Equal((ApplyOutcome.Failed, RolloutResult.Failed), (result.Outcome, service.Result));
        Assert.Contains($"pulling {registry.Reference("team/web", "2")} failed", reported, StringComparison.Ordinal);
        Assert.Contains("unauthorized", reported, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(WrongSecret, reported, StringComparison.Ordinal);
        Assert.Contains(registry.Address, HelperCalls());
        Assert.Equal(before, await harness.ContainerIdsAsync());
        Assert.Equal("1", await VersionServedAsync(harness));
    }

    [Fact]
    public async Task CredHelper_ExitsNonZero_PullFailsNamingHelperAndRegistryAndTheOldContainerKeepsServing()
    {
        await using var registry = await LoopbackRegistry.StartAsync(new RegistryOptions(User, Password));
        await registry.PushAsync(TestImages.BusyboxV2, "team/web", "2");
        await using var harness = new ReconcileHarness(registryCredentials: HelperFor(registry, "echo 'the password store is locked' >&2; exit 1"));
        await harness.ApplyConvergedAsync(WebState(harness, TestImages.BusyboxV1, PullPolicy.Missing));
        var before = await harness.ContainerIdsAsync();

        var result = await harness.ApplyAsync(WebState(harness, registry.Reference("team/web", "2"), PullPolicy.Missing));

        var service = Assert.Single(result.Report!.Services);
        Assert.Equal((ApplyOutcome.Failed, RolloutResult.Failed), (result.Outcome, service.Result));
        Assert.Contains(
            $"credential helper {Path.Combine(helperDirectory, "docker-credential-" + HelperName)} failed for {registry.Address} (exit 1): the password store is locked",
            result.Summary + service.Message,
            StringComparison.Ordinal);
        Assert.Equal(before, await harness.ContainerIdsAsync());
        Assert.Equal("1", await VersionServedAsync(harness));
    }
}
