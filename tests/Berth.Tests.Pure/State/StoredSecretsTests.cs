using Berth.Reconciler.Observe;
using Berth.Reconciler.State;
using Berth.Tests.Shared;

namespace Berth.Tests.State;

/// <summary>
/// The state file never holds an environment value (issue 21): each is a keyed hash; a rollback gets the
/// values back from the containers that run the applied spec, and only when they hash to the applied config.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StoredSecretsTests : IDisposable
{
    private const string Secret = "berth-marker-state-5d1c";

    private readonly string root = Directory.CreateTempSubdirectory("berth-stored-secrets-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static Berth.Reconciler.Spec.Model.ServiceSpec ServiceWithSecret() =>
        TestSpecs.Service("app", "db", TestSpecs.Container() with { Environment = TestSpecs.Entries(("DB_PASSWORD", Secret), ("MODE", "primary")) });

    [Fact]
    public async Task Save_EnvironmentValues_AreKeyedHashesNotValues()
    {
        var store = new StateStore(root);
        var service = ServiceWithSecret();

        await store.SaveAsync(TestObserved.Applied("h", service), CancellationToken.None);

        var text = await File.ReadAllTextAsync(store.PathFor("h"));
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain("primary", text, StringComparison.Ordinal);
        Assert.Contains("DB_PASSWORD", text, StringComparison.Ordinal);
        Assert.Contains(StateKey.HashPrefix, text, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(root, StateKey.FileName)));
    }

    [Fact]
    public async Task Save_SameValueInTwoStateDirectories_HashesDifferently()
    {
        // The key is per host: the same short password on two hosts cannot be recognised across their state files.
        var first = new StateStore(Path.Combine(root, "a"));
        var second = new StateStore(Path.Combine(root, "b"));

        await first.SaveAsync(TestObserved.Applied("h", ServiceWithSecret()), CancellationToken.None);
        await second.SaveAsync(TestObserved.Applied("h", ServiceWithSecret()), CancellationToken.None);

        var hashOf = async (StateStore store) => (await store.LoadAsync("h", CancellationToken.None)).Services["app/db"].Spec!.Container.Environment["DB_PASSWORD"];
        Assert.NotEqual(await hashOf(first), await hashOf(second));
    }

    [Fact]
    public async Task Load_StateFileWithPlainValues_IsReadAndRewrittenWithoutThem()
    {
        // What berth wrote before issue 21: the spec with its values. Saved through the old path (no hashing) by hand.
        var store = new StateStore(root);
        await store.SaveAsync(TestObserved.Applied("h", ServiceWithSecret()), CancellationToken.None);
        var hashedText = await File.ReadAllTextAsync(store.PathFor("h"));
        var loadedHashed = await store.LoadAsync("h", CancellationToken.None);
        var oldText = hashedText
            .Replace(loadedHashed.Services["app/db"].Spec!.Container.Environment["DB_PASSWORD"], Secret, StringComparison.Ordinal)
            .Replace(loadedHashed.Services["app/db"].Spec!.Container.Environment["MODE"], "primary", StringComparison.Ordinal);
        Assert.Contains(Secret, oldText, StringComparison.Ordinal);
        await File.WriteAllTextAsync(store.PathFor("h"), oldText);

        var loaded = await store.LoadAsync("h", CancellationToken.None);

        Assert.Equal(Secret, loaded.Services["app/db"].Spec!.Container.Environment["DB_PASSWORD"]);
        Assert.Same(loaded.Services["app/db"].Spec, loaded.Services["app/db"].RollbackSpec);
        Assert.DoesNotContain(Secret, await File.ReadAllTextAsync(store.PathFor("h")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RollbackSpec_AfterALoad_IsRestoredFromTheContainerRunningTheAppliedConfig()
    {
        var store = new StateStore(root);
        var service = ServiceWithSecret();
        await store.SaveAsync(TestObserved.Applied("h", service), CancellationToken.None);
        var loaded = await store.LoadAsync("h", CancellationToken.None);
        var changed = TestObserved.Applied("h", service with { Container = service.Container with { Image = "other:2" } });
        var desired = new Berth.Reconciler.Spec.Model.DesiredState("h", [new Berth.Reconciler.Spec.Model.StackSpec("app", [], [changed.Services["app/db"].Spec!], [], [])], Berth.Reconciler.Spec.Model.RepositorySettings.Default);

        Assert.Null(loaded.Services["app/db"].RollbackSpec);
        // The one container to inspect: the one running the applied config, for a service whose config changes.
        var toInspect = StoredSecrets.ContainersToRestoreFrom(loaded, desired, TestObserved.State(containers: [TestObserved.Running(service, 1)]));
        Assert.Equal("app/db", Assert.Single(toInspect).Key);
        var restored = StoredSecrets.RestoreFrom(loaded, new Dictionary<string, ContainerEnvironment>
        {
            ["app/db"] = ContainerEnvironment.FromEngine(["PATH=/bin", $"DB_PASSWORD={Secret}", "MODE=primary"]),
        });

        Assert.Equal(service.ConfigHash, restored.Services["app/db"].RollbackSpec!.ConfigHash);
    }

    [Fact]
    public async Task RollbackSpec_ContainerWithOtherValues_StaysUnknown()
    {
        // A container re-created by hand with copied labels but another password: its values do not hash
        // to the applied config, so they are not taken for the applied ones.
        var store = new StateStore(root);
        var service = ServiceWithSecret();
        await store.SaveAsync(TestObserved.Applied("h", service), CancellationToken.None);
        var loaded = await store.LoadAsync("h", CancellationToken.None);
        var restored = StoredSecrets.RestoreFrom(loaded, new Dictionary<string, ContainerEnvironment>
        {
            ["app/db"] = ContainerEnvironment.FromEngine(["DB_PASSWORD=something-else", "MODE=primary"]),
        });

        Assert.Null(restored.Services["app/db"].RollbackSpec);
    }

    [Fact]
    public async Task ContainersToRestoreFrom_PassWithoutChanges_InspectsNothing()
    {
        var store = new StateStore(root);
        var service = ServiceWithSecret();
        await store.SaveAsync(TestObserved.Applied("h", service), CancellationToken.None);
        var loaded = await store.LoadAsync("h", CancellationToken.None);
        var desired = new Berth.Reconciler.Spec.Model.DesiredState("h", [new Berth.Reconciler.Spec.Model.StackSpec("app", [], [service], [], [])], Berth.Reconciler.Spec.Model.RepositorySettings.Default);

        Assert.Empty(StoredSecrets.ContainersToRestoreFrom(loaded, desired, TestObserved.State(containers: [TestObserved.Running(service, 1)])));
    }

    [Fact]
    public void ContainerEnvironment_InARecordPrintedForALog_ShowsNoValue()
    {
        var snapshot = new Berth.Reconciler.Engine.ContainerSnapshot("id", "web-1", ContainerRunState.Running, ContainerHealth.None, 0, 0, null, 0, null, [])
        {
            Environment = ContainerEnvironment.FromEngine([$"DB_PASSWORD={Secret}"]),
        };

        Assert.DoesNotContain(Secret, snapshot.ToString(), StringComparison.Ordinal);
    }
}
