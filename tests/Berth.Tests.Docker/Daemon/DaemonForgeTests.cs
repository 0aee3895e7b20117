using System.Text.Json.Nodes;
using Berth.Reconciler.Forge;
using Berth.Tests.Fleet;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Daemon;

/// <summary>
/// The real `berth daemon` (real git, real engine, real passes) reporting each commit to a loopback
/// forge that checks every request against GitHub's API, and notifying a loopback webhook receiver.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DaemonForgeTests
{
    private static readonly TimeSpan Converge = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Daemon_NewCommitThenARefusedOne_PostsPendingThenSuccess_ThenFailureWithTheReasonAndNotifies()
    {
        await using var harness = new ReconcileHarness();
        using var git = GitRepository.WithExample(harness.Host);
        await using var forge = LoopbackForge.Start(ForgeKind.GitHub);
        await using var receiver = LoopbackReceiver.Start();
        var secrets = Directory.CreateTempSubdirectory("berth-forge-token-").FullName;
        try
        {
            var tokenFile = Path.Combine(secrets, "forge-token");
            File.WriteAllText(tokenFile, forge.Token + "\n");
            File.SetUnixFileMode(tokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var first = git.CommitAndPush("initial desired state");
            await using var daemon = await RealDaemon.StartAsync(harness.Host, git, extraConfig: $"""
                forge:
                  provider: {forge.ProviderName}
                  apiUrl: {forge.ApiBase}
                  repository: {forge.Repository}
                  tokenFile: {tokenFile}
                notifications:
                  sinks:
                    - type: webhook
                      url: {receiver.UrlFor("/berth")}
                """);
            var context = $"berth/{harness.Host}";

            // The first commit: pending while the pass applies it (its health gates take seconds), then success.
            await forge.WaitUntilAsync(f => f.Latest(first).TryGetValue(context, out var status) && status.State == "success", Converge, "success on the first commit");
            Assert.Equal(["pending", "success"], forge.StatesOf(first, context));
            Assert.Equal($"converged and healthy on {harness.Host}", forge.Latest(first)[context].Description);

            // A commit with a typo: refused before anything runs; failure with the reason, and a notification.
            var compose = $"stacks/{harness.Host}/compose.yaml";
            git.Write(compose, git.Read(compose).Replace("    healthcheck:", "    helthcheck:", StringComparison.Ordinal));
            var invalid = git.CommitAndPush("typo");
            await forge.WaitUntilAsync(f => f.Latest(invalid).ContainsKey(context), Converge, "a status on the refused commit");
            var failure = forge.Latest(invalid)[context];
            Assert.Equal(["failure"], forge.StatesOf(invalid, context));
            // The first error, shortened to GitHub's 140 characters if need be.
            Assert.StartsWith($"InvalidCommit: {compose}:16:5: unknown key 'helthcheck'", failure.Description, StringComparison.Ordinal);
            Assert.True(failure.Description.Length <= GitHubStatusProvider.DescriptionLimit, failure.Description);

            var notification = JsonNode.Parse(Assert.Single(await receiver.WaitForAsync(1, Converge)).Body)!;
            Assert.Equal("commitRefused", notification["event"]!.GetValue<string>());
            Assert.Equal(invalid, notification["revision"]!.GetValue<string>());
            Assert.Contains($"{compose}:16:5: unknown key 'helthcheck'", notification["message"]!.GetValue<string>(), StringComparison.Ordinal);

            // What wave gates read: the statuses through the provider's list call.
            using var http = new HttpClient();
            var listed = await forge.CreateProvider(http).ListAsync(first, CancellationToken.None);
            Assert.Equal(CommitState.Success, Assert.Single(listed).State);

            Assert.Empty(forge.Violations);
            Assert.DoesNotContain(forge.Token, daemon.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(secrets, recursive: true);
        }
    }
}
