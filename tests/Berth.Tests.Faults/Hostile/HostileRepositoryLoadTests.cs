using System.Globalization;
using Berth.Reconciler.Spec;
using Berth.Tests.Faults.Infrastructure;
using Xunit.Abstractions;

namespace Berth.Tests.Faults.Hostile;

/// <summary>
/// Thousands of generated hostile repositories through the loader `berth validate`, `plan`, `apply` and
/// the daemon all use, from real files on disk: none may throw, hang, or bring anything from outside the
/// repository into an error message or the desired state.
/// </summary>
public sealed class HostileRepositoryLoadTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan PerRepositoryLimit = TimeSpan.FromSeconds(10);

    private readonly string root = Path.Combine(Path.GetTempPath(), "berth-hostile-" + Guid.NewGuid().ToString("N")[..12]);

    [Fact]
    public async Task Load_GeneratedHostileRepositories_NeverThrowHangNorReadOutside()
    {
        var count = FaultsProfile.IsLong ? 20_000 : 1_000;
        var repositories = new HostileRepositories(root, seed: 20261204);
        repositories.CreateOutside();
        var refused = 0;
        var perKind = HostileRepositories.Kinds.ToDictionary(kind => kind, _ => 0);
        var slowest = TimeSpan.Zero;
        for (var index = 0; index < count; index++)
        {
            var repository = repositories.Next(index);
            perKind[repository.Kind]++;
            var started = System.Diagnostics.Stopwatch.StartNew();
            var load = Task.Run(() => (Inventory: SpecLoader.LoadInventory(repository.Directory), Host: SpecLoader.LoadHost(repository.Directory, repositories.Host)));
            var finished = await Task.WhenAny(load, Task.Delay(PerRepositoryLimit)) == load;
            Assert.True(finished, $"load did not finish within {PerRepositoryLimit}: {repository}");
            Assert.True(load.IsCompletedSuccessfully, $"load threw {load.Exception?.InnerException}: {repository}");
            slowest = started.Elapsed > slowest ? started.Elapsed : slowest;
            var (inventory, host) = await load;
            foreach (var error in inventory.Errors.Concat(host.Errors))
            {
                Assert.False(error.ToString().Contains(HostileRepositories.CanaryToken, StringComparison.Ordinal), $"an error quotes a file outside the repository: {error}: {repository}");
                Assert.True(error.Line >= 1 && error.Column >= 1, $"error without a position: {error}: {repository}");
            }

            Assert.False(ReachableStrings.Contains(host.State, HostileRepositories.CanaryToken), $"the desired state holds content from outside the repository: {repository}");
            if (host.State is null)
            {
                refused++;
            }

            Directory.Delete(repository.Directory, recursive: true);
        }

        FaultsSummary.Record(output, string.Create(CultureInfo.InvariantCulture,
            $"hostile repositories (loader): {count} generated ({string.Join(", ", perKind.Select(pair => $"{pair.Key} {pair.Value}"))}), {refused} refused with errors, {count - refused} loaded, slowest {slowest.TotalMilliseconds:F0} ms, 0 crashes, 0 hangs, 0 reads outside: ok"));
    }

    public void Dispose()
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
