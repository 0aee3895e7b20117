using Berth.Reconciler.Spec.Model;
using Berth.Tests.Spec;

namespace Berth.Tests.Waves;

/// <summary>berth.yaml `waves:` and `hosts.NAME.wave`: each host's position, from the commit's own inventory.</summary>
public sealed class InventoryWavesTests
{
    private const string Compose = "services:\n  web:\n    image: busybox\n";

    private static SpecTestRepository Repository(string inventory) =>
        new SpecTestRepository().With("berth.yaml", inventory).With("app/compose.yaml", Compose);

    private const string Fleet = """
        waves:
          - soak: 5m
            selector: { ring: canary }
          - soak: 30s
        hosts:
          canary-1: { labels: { ring: canary } }
          canary-2: { labels: { ring: canary } }
          early: { wave: 2 }
          late: { wave: 3 }
          offline: { wave: skip, labels: { ring: canary } }
          plain: {}
        stacks:
          app:
            compose: app/compose.yaml
            hosts: { selector: {} }
        """;

    [Fact]
    public void LoadHost_LaterWave_KnowsEveryEarlierHostWithItsWavesSoak()
    {
        var result = Repository(Fleet).LoadHost("late");

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var position = result.State!.Wave!;
        Assert.Equal(3, position.Wave);
        Assert.Equal(
            [new WaveMember("canary-1", 1, TimeSpan.FromMinutes(5)), new WaveMember("canary-2", 1, TimeSpan.FromMinutes(5)), new WaveMember("early", 2, TimeSpan.FromSeconds(30))],
            position.Earlier.ToArray());
    }

    [Fact]
    public void LoadHost_SelectorWave_IsTheFirstWaveThatMatches()
    {
        var position = Repository(Fleet).LoadHost("canary-2").State!.Wave!;

        Assert.Equal(1, position.Wave);
        Assert.False(position.IsGated);
    }

    [Fact]
    public void LoadHost_SkippedOrUnassignedHost_IsInNoWaveAndGatesNobody()
    {
        var repository = Repository(Fleet);

        Assert.Null(repository.LoadHost("offline").State!.Wave);
        Assert.Null(repository.LoadHost("plain").State!.Wave);
        Assert.DoesNotContain(repository.LoadHost("early").State!.Wave!.Earlier, member => member.Host is "offline" or "plain");
    }

    [Fact]
    public void LoadHost_NoWaves_NoPosition()
    {
        var result = Repository("hosts: { h1: {} }\nstacks: { app: { compose: app/compose.yaml, hosts: [h1] } }\n").LoadHost("h1");

        Assert.Null(result.State!.Wave);
    }

    [Theory]
    [InlineData("hosts: { h1: { wave: 0 } }", "berth.yaml:1:22: hosts.h1.wave must be")]
    [InlineData("hosts: { h1: { wave: first } }", "berth.yaml:1:22: hosts.h1.wave must be a wave number (1, 2, ...) or 'skip', not 'first'")]
    [InlineData("waves: { soak: 1m }\nhosts: { h1: {} }", "berth.yaml:1:8: waves must be a list of waves")]
    [InlineData("waves: [ { soak: soon } ]\nhosts: { h1: {} }", "berth.yaml:1:18: waves[0] (wave 1).soak")]
    [InlineData("waves: [ { soke: 1m } ]\nhosts: { h1: {} }", "berth.yaml:1:12:")]
    public void LoadHost_BadWaves_PreciseErrors(string inventory, string expected)
    {
        var result = Repository(inventory + "\nstacks: { app: { compose: app/compose.yaml, hosts: [h1] } }\n").LoadHost("h1");

        Assert.Contains(result.Errors, error => error.ToString().StartsWith(expected, StringComparison.Ordinal));
    }
}
