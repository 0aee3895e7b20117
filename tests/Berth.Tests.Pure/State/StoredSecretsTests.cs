using System.Collections.Immutable;
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
        var restored = StoredSecrets.RestoreFrom(loaded, new Dictionary<string, ContainerConfigValues>
        {
            ["app/db"] = new() { Environment = ContainerEnvironment.FromEngine(["PATH=/bin", $"DB_PASSWORD={Secret}", "MODE=primary"]) },
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
        var restored = StoredSecrets.RestoreFrom(loaded, new Dictionary<string, ContainerConfigValues>
        {
            ["app/db"] = new() { Environment = ContainerEnvironment.FromEngine(["DB_PASSWORD=something-else", "MODE=primary"]) },
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

    /// <summary>
    /// The standard Compose pattern and its relatives: a host-local value interpolated into the command, a
    /// label, a health-check test and a log option (issue 21, review item 1).
    /// </summary>
    private static Berth.Reconciler.Spec.Model.ServiceSpec ServiceWithSecretOutsideTheEnvironment(string secret) =>
        TestSpecs.Service("app", "cache", TestSpecs.Container(TestSpecs.Image, "redis-server", "--requirepass", secret) with
        {
            Labels = TestSpecs.Entries(("example.password-hint", $"pw={secret}"), ("example.team", "storage")),
            HealthCheck = new Berth.Reconciler.Spec.Model.HealthCheckSpec(["CMD-SHELL", $"redis-cli -a {secret} ping"], TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3), TimeSpan.Zero, TimeSpan.FromSeconds(1), 3),
            Logging = new Berth.Reconciler.Spec.Model.LoggingSpec("json-file", TestSpecs.Entries(("tag", $"cache-{secret}"))),
        });

    private static ContainerConfigValues ConfigOf(Berth.Reconciler.Spec.Model.ServiceSpec service) => new()
    {
        Command = service.Container.Command,
        Entrypoint = service.Container.Entrypoint,
        Labels = service.Container.Labels.Add("io.berth.service", service.Name).ToImmutableDictionary(StringComparer.Ordinal),
        HealthCheckTest = service.Container.HealthCheck?.Test,
        LogOptions = service.Container.Logging!.Options.ToImmutableDictionary(StringComparer.Ordinal),
    };

    private static AppliedState AppliedWithSecrets(Berth.Reconciler.Spec.Model.ServiceSpec service, params string[] secrets) =>
        TestObserved.Applied("h", service) with { Secrets = Berth.Reconciler.Spec.SecretValues.Of(secrets) };

    [Fact]
    public async Task Save_SecretInCommandLabelHealthCheckAndLogOption_NoneOfItInTheFile()
    {
        var store = new StateStore(root);

        await store.SaveAsync(AppliedWithSecrets(ServiceWithSecretOutsideTheEnvironment(Secret), Secret), CancellationToken.None);

        var text = await File.ReadAllTextAsync(store.PathFor("h"));
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);
        // Only the strings holding the value are hashed: the rest of the record stays readable.
        Assert.Contains("redis-server", text, StringComparison.Ordinal);
        Assert.Contains("example.password-hint", text, StringComparison.Ordinal);
        Assert.Contains("storage", text, StringComparison.Ordinal);
        var stored = (await store.LoadAsync("h", CancellationToken.None)).Services["app/cache"].Spec!;
        Assert.True(StateKey.IsHash(stored.Container.Command!.Value[2]));
        Assert.Null((await store.LoadAsync("h", CancellationToken.None)).Services["app/cache"].RollbackSpec);
    }

    [Fact]
    public async Task RollbackSpec_SecretInCommandLabelHealthCheckAndLogOption_IsRestoredFromTheSameFieldsOfTheContainer()
    {
        var store = new StateStore(root);
        var service = ServiceWithSecretOutsideTheEnvironment(Secret);
        await store.SaveAsync(AppliedWithSecrets(service, Secret), CancellationToken.None);
        var loaded = await store.LoadAsync("h", CancellationToken.None);

        var restored = StoredSecrets.RestoreFrom(loaded, new Dictionary<string, ContainerConfigValues> { ["app/cache"] = ConfigOf(service) });

        Assert.Equal(service.ConfigHash, restored.Services["app/cache"].RollbackSpec!.ConfigHash);
        Assert.Equal(service.Container.Command, restored.Services["app/cache"].RollbackSpec!.Container.Command);
    }

    [Fact]
    public async Task RestoreFrom_SecretRotatedSince_OldValueIsMaskedAndNeverWritten()
    {
        // The applied spec ran with the old password; the desired state knows only the new one. A rollback
        // re-creates the old container: its value must be masked in copied text and kept out of the file.
        const string oldSecret = "berth-marker-old-7a3e";
        var store = new StateStore(root);
        var service = ServiceWithSecretOutsideTheEnvironment(oldSecret);
        await store.SaveAsync(AppliedWithSecrets(service, oldSecret), CancellationToken.None);
        var loaded = await store.LoadAsync("h", CancellationToken.None) with { Secrets = Berth.Reconciler.Spec.SecretValues.Of(["berth-marker-new-1b2c"]) };

        var restored = StoredSecrets.RestoreFrom(loaded, new Dictionary<string, ContainerConfigValues> { ["app/cache"] = ConfigOf(service) });

        Assert.NotNull(restored.Services["app/cache"].RollbackSpec);
        Assert.DoesNotContain(oldSecret, restored.Secrets.Mask($"AUTH failed for {oldSecret}"), StringComparison.Ordinal);
        Assert.DoesNotContain("berth-marker-new-1b2c", restored.Secrets.Mask("new berth-marker-new-1b2c"), StringComparison.Ordinal);
        await store.SaveAsync(restored, CancellationToken.None);
        Assert.DoesNotContain(oldSecret, await File.ReadAllTextAsync(store.PathFor("h")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RollbackSpec_SecretInAFieldTheInspectDoesNotGiveBack_StaysUnknown()
    {
        // A value in the image name cannot be taken from the container's config: the file still must not hold
        // it, and a spec with a hash left in it is never re-created.
        var store = new StateStore(root);
        var service = TestSpecs.Service("app", "db", TestSpecs.Container($"registry.example/{Secret}/db:1"));
        await store.SaveAsync(AppliedWithSecrets(service, Secret), CancellationToken.None);
        var loaded = await store.LoadAsync("h", CancellationToken.None);

        var restored = StoredSecrets.RestoreFrom(loaded, new Dictionary<string, ContainerConfigValues> { ["app/db"] = new() });

        Assert.DoesNotContain(Secret, await File.ReadAllTextAsync(store.PathFor("h")), StringComparison.Ordinal);
        Assert.Null(restored.Services["app/db"].RollbackSpec);
    }

    [Fact]
    public void Save_ShortSecretValue_LeavesStringsAlone()
    {
        // As in masking: a 3-character value would hash every string that happens to contain it.
        var service = TestSpecs.Service("app", "web", TestSpecs.Container(TestSpecs.Image, "serve", "--name", "db1-primary"));

        var stored = StoredSecrets.ForStorage(AppliedWithSecrets(service, "db1"), StateKeyIn(root));

        Assert.Equal("db1-primary", stored.Services["app/web"].Spec!.Container.Command!.Value[2]);
    }

    private static StateKey StateKeyIn(string directory) => StateKey.LoadOrCreate(directory);

    [Fact]
    public void ContainerEnvironment_InARecordPrintedForALog_ShowsNoValue()
    {
        var snapshot = new Berth.Reconciler.Engine.ContainerSnapshot("id", "web-1", ContainerRunState.Running, ContainerHealth.None, 0, 0, null, 0, null, [])
        {
            Environment = ContainerEnvironment.FromEngine([$"DB_PASSWORD={Secret}"]),
            ConfigValues = new ContainerConfigValues { Command = ["redis-server", "--requirepass", Secret], User = Secret },
        };

        Assert.DoesNotContain(Secret, snapshot.ToString(), StringComparison.Ordinal);
    }
}
