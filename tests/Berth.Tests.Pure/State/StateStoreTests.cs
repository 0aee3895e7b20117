using Berth.Reconciler.State;
using Berth.Tests.Shared;

namespace Berth.Tests.State;

/// <summary>The state file holds the applied spec (its environment values as keyed hashes): only its owner may read it.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StateStoreTests : IDisposable
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string root = Directory.CreateTempSubdirectory("berth-state-test-").FullName;

    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public async Task Save_NewStateDirectory_IsCreatedOwnerOnlyWithAnOwnerOnlyFile()
    {
        var directory = Path.Combine(root, "nested", ".berth-state");
        var store = new StateStore(directory);

        await store.SaveAsync(AppliedState.Empty("h"), CancellationToken.None);

        Assert.Equal(OwnerOnlyDirectory, File.GetUnixFileMode(directory));
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(store.PathFor("h")));
        Assert.Equal("h", (await store.LoadAsync("h", CancellationToken.None)).Host);
    }

    [Fact]
    public async Task LoadThenSave_FailedRevisionFromAnOlderBerthWithoutServices_KeepsItsHoldEverythingMeaning()
    {
        // A state file written before berth recorded the failed services per revision.
        var store = new StateStore(root);
        await File.WriteAllTextAsync(store.PathFor("h"), """
            {
              "host": "h",
              "failed_revisions": {
                "abc123": { "revision": "abc123", "reason": "health gate failed", "at": "2026-11-20T10:00:00+00:00" }
              }
            }
            """);

        var loaded = await store.LoadAsync("h", CancellationToken.None);
        await store.SaveAsync(loaded with { LastAttemptedRevision = "def456" }, CancellationToken.None);
        var reloaded = await store.LoadAsync("h", CancellationToken.None);

        Assert.True(reloaded.FailedRevisions["abc123"].Services.IsDefault);
        Assert.Equal("def456", reloaded.LastAttemptedRevision);
    }

    [Fact]
    public async Task Load_HistoryWrittenBeforeTheRenames_ReadsBackWithTheSameMeaning()
    {
        // Written by berth 0.1.0: "converged" is what ApplyOutcome.Converged (now Applied) recorded, and a
        // rolled-back pass was recorded as "failed" (a new berth writes "rolled back" for it).
        var store = new StateStore(root);
        await File.WriteAllTextAsync(store.PathFor("h"), """
            {
              "host": "h",
              "last_applied_revision": "abc123",
              "last_applied_at": "2026-11-20T09:00:00+00:00",
              "history": [
                { "at": "2026-11-20T10:00:00+00:00", "revision": "def456", "result": "failed", "summary": "shop/api: rolled back" },
                { "at": "2026-11-20T09:00:00+00:00", "revision": "abc123", "result": "converged", "summary": "converged" }
              ]
            }
            """);

        var loaded = await store.LoadAsync("h", CancellationToken.None);
        var board = new Berth.Reconciler.Loop.StatusBoard("h", "v", DateTimeOffset.UnixEpoch);
        board.RestoreFrom(loaded);

        Assert.Equal(
            [(Berth.Reconciler.Loop.PassOutcome.Stalled, "ApplyFailed"), (Berth.Reconciler.Loop.PassOutcome.Changed, "ReconciliationSucceeded")],
            board.Current.History.Select(pass => (pass.Outcome, pass.Reason)));
        Assert.True(loaded with { History = [loaded.History[1]] } is { LastAttemptConverged: true });
    }

    [Fact]
    public async Task SaveThenLoad_AppliedSpec_HasTheHashItWasAppliedWith()
    {
        // The hashes are computed from the spec, not stored in it: a spec read back from the state file
        // (what a rollback returns to) must hash as it did when applied, or the next pass would recreate.
        // Its environment values are hashes in the file: they come back from the running containers.
        var store = new StateStore(root);
        var spec = TestSpecs.Service("shop", "web", TestSpecs.WebContainer(), replicas: 2).WithEnvironment("MODE", "a").Fronted();
        var applied = new AppliedService(spec.ConfigHash, spec.FieldHashes, spec.Container.Image, null, "abc", System.Collections.Immutable.ImmutableSortedDictionary<int, string>.Empty, spec);
        var state = AppliedState.Empty("h") with { Services = AppliedState.Empty("h").Services.Add(spec.QualifiedName, applied) };

        await store.SaveAsync(state, CancellationToken.None);
        var loaded = StoredSecrets.RestoreFrom(await store.LoadAsync("h", CancellationToken.None), new Dictionary<string, Berth.Reconciler.Observe.ContainerConfigValues>
        {
            [spec.QualifiedName] = new() { Environment = Berth.Reconciler.Observe.ContainerEnvironment.FromEngine(["MODE=a"]) },
        });
        var reloaded = loaded.Services[spec.QualifiedName].RollbackSpec!;

        Assert.Equal(spec.ConfigHash, reloaded.ConfigHash);
        Assert.Equal(spec.FieldHashes, reloaded.FieldHashes);
        Assert.Contains($"\"config_hash\": \"{spec.ConfigHash}\"", await File.ReadAllTextAsync(store.PathFor("h")), StringComparison.Ordinal);
    }

    // Issue #16: the daemon loads the record on every pass; reading and decoding the file each time was
    // 41 % of an idle pass. The store keeps the record it read or wrote last and checks the file's time and
    // length instead.

    [Fact]
    public async Task Load_FileUnchangedSinceTheLastLoad_GivesTheSameRecordWithoutReadingIt()
    {
        var store = new StateStore(root);
        await store.SaveAsync(StateWithEnvironmentValue("a"), CancellationToken.None);

        var first = await store.LoadAsync("h", CancellationToken.None);
        var second = await store.LoadAsync("h", CancellationToken.None);

        Assert.Same(first, second);
    }

    [Fact]
    public async Task Load_FileReplacedByHandMeanwhile_ReadsTheNewFile()
    {
        var store = new StateStore(root);
        await store.SaveAsync(AppliedState.Empty("h") with { LastAppliedRevision = "abc" }, CancellationToken.None);
        Assert.Equal("abc", (await store.LoadAsync("h", CancellationToken.None)).LastAppliedRevision);

        // Same length, another content; then another length at the time it had: neither alone would tell.
        var path = store.PathFor("h");
        var written = File.GetLastWriteTimeUtc(path);
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("\"abc\"", "\"xyz\"", StringComparison.Ordinal));
        // A person edits seconds later; the file system's clock ticks in milliseconds (a jiffy), which a test outruns.
        File.SetLastWriteTimeUtc(path, written.AddSeconds(2));
        Assert.Equal("xyz", (await store.LoadAsync("h", CancellationToken.None)).LastAppliedRevision);

        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("\"xyz\"", "\"uvwx\"", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(path, written);
        Assert.Equal("uvwx", (await store.LoadAsync("h", CancellationToken.None)).LastAppliedRevision);

        File.Delete(path);
        Assert.Null((await store.LoadAsync("h", CancellationToken.None)).LastAppliedRevision);
    }

    // `berth apply` and `plan` begin reading the record while the desired state loads; the pass's load takes
    // that read once (its record, or its failure), and the next load is an ordinary one.

    [Fact]
    public async Task BeginLoading_ThenLoad_TakesTheEarlyReadOnce()
    {
        var store = new StateStore(root);
        await new StateStore(root).SaveAsync(AppliedState.Empty("h") with { LastAppliedRevision = "abc" }, CancellationToken.None);

        store.BeginLoading("h");
        var taken = await store.LoadAsync("h", CancellationToken.None);
        Assert.Equal("abc", taken.LastAppliedRevision);

        // Taken once: a later load reads the file as it is now.
        var path = store.PathFor("h");
        var written = File.GetLastWriteTimeUtc(path);
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("\"abc\"", "\"xyz\"", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(path, written.AddSeconds(2));
        Assert.Equal("xyz", (await store.LoadAsync("h", CancellationToken.None)).LastAppliedRevision);
    }

    [Fact]
    public async Task BeginLoading_ThenSave_TheLoadGivesWhatWasSaved()
    {
        var store = new StateStore(root);
        await new StateStore(root).SaveAsync(AppliedState.Empty("h") with { LastAppliedRevision = "abc" }, CancellationToken.None);

        store.BeginLoading("h");
        await store.SaveAsync(AppliedState.Empty("h") with { LastAppliedRevision = "def" }, CancellationToken.None);

        Assert.Equal("def", (await store.LoadAsync("h", CancellationToken.None)).LastAppliedRevision);
    }

    [Fact]
    public async Task LoadAfterSave_SameStore_GivesWhatAnotherProcessReadsFromTheFile()
    {
        // What the store remembers of its own write is the file's content (values hashed, no secrets known),
        // not the state it was given: a rollback must find hashes there as after a restart.
        var store = new StateStore(root);
        await store.SaveAsync(StateWithEnvironmentValue("a") with { Secrets = Berth.Reconciler.Spec.SecretValues.Of(["berth-secret-value"]) }, CancellationToken.None);

        var remembered = await store.LoadAsync("h", CancellationToken.None);
        var read = await new StateStore(root).LoadAsync("h", CancellationToken.None);

        Assert.Equal(Json(read), Json(remembered));
        Assert.Null(remembered.Services["shop/web"].RollbackSpec);
        Assert.Same(Berth.Reconciler.Spec.SecretValues.None, remembered.Secrets);
    }

    [Fact]
    public async Task Save_EntryKeptFromTheLoadedRecord_IsWrittenAsItWasStored()
    {
        // A pass that changed nothing keeps the loaded entries; the write must not hash a hash again.
        var store = new StateStore(root);
        await store.SaveAsync(StateWithEnvironmentValue("a"), CancellationToken.None);
        var firstFile = await File.ReadAllTextAsync(store.PathFor("h"));
        var loaded = await store.LoadAsync("h", CancellationToken.None);

        await store.SaveAsync(loaded with { LastAttemptedRevision = "next" }, CancellationToken.None);
        var read = await new StateStore(root).LoadAsync("h", CancellationToken.None);

        Assert.Equal("next", read.LastAttemptedRevision);
        Assert.Equal(Json(loaded.Services), Json(read.Services));
        Assert.DoesNotContain("\"a\"", firstFile, StringComparison.Ordinal);
        Assert.Same(loaded.Services["shop/web"], (await store.LoadAsync("h", CancellationToken.None)).Services["shop/web"]);
    }

    [Fact]
    public async Task Save_KeptEntryHoldingAValueThatBecameASecret_HashesItNow()
    {
        // A plain string in a command (written before strings outside the environment were hashed, or before
        // the value moved into sops) is kept by a pass that changed nothing: the write must still hash it.
        const string value = "berth-now-a-secret-5d1e";
        var store = new StateStore(root);
        var spec = TestSpecs.Service("shop", "web", TestSpecs.Container(TestSpecs.Image, "serve", "--password", value));
        var applied = new AppliedService(spec.ConfigHash, spec.FieldHashes, spec.Container.Image, null, "abc", System.Collections.Immutable.ImmutableSortedDictionary<int, string>.Empty, spec);
        await store.SaveAsync(AppliedState.Empty("h") with { Services = AppliedState.Empty("h").Services.Add(spec.QualifiedName, applied) }, CancellationToken.None);
        Assert.Contains(value, await File.ReadAllTextAsync(store.PathFor("h")), StringComparison.Ordinal);
        var loaded = await store.LoadAsync("h", CancellationToken.None);

        await store.SaveAsync(loaded with { Secrets = Berth.Reconciler.Spec.SecretValues.Of([value]) }, CancellationToken.None);

        Assert.DoesNotContain(value, await File.ReadAllTextAsync(store.PathFor("h")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadAfterSave_SpecWithASecretFile_RemembersNoBytesOfIt()
    {
        // The file never holds a secret file's bytes; neither does what the store remembers of it (a rollback
        // after a restart finds none either: the same before and after).
        var store = new StateStore(root);
        var content = new Berth.Reconciler.Spec.Model.FileContent([1, 2, 3]);
        var mount = new Berth.Reconciler.Spec.Model.FileMountSpec(Berth.Reconciler.Spec.Model.FileMountKind.Secret, "db", "/run/secrets/db", null, null, null, "hmac-key") { Content = content };
        var spec = TestSpecs.Service("shop", "web", TestSpecs.WebContainer() with { Secrets = [mount] });
        var applied = new AppliedService(spec.ConfigHash, spec.FieldHashes, spec.Container.Image, null, "abc", System.Collections.Immutable.ImmutableSortedDictionary<int, string>.Empty, spec);
        await store.SaveAsync(AppliedState.Empty("h") with { Services = AppliedState.Empty("h").Services.Add(spec.QualifiedName, applied) }, CancellationToken.None);

        var remembered = (await store.LoadAsync("h", CancellationToken.None)).Services["shop/web"].Spec!;
        var read = (await new StateStore(root).LoadAsync("h", CancellationToken.None)).Services["shop/web"].Spec!;

        Assert.Null(read.Container.Secrets.Single().Content);
        Assert.Null(remembered.Container.Secrets.Single().Content);
        Assert.Equal(spec.ConfigHash, remembered.ConfigHash);
    }

    private static AppliedState StateWithEnvironmentValue(string value)
    {
        var spec = TestSpecs.Service("shop", "web", TestSpecs.WebContainer()).WithEnvironment("MODE", value);
        var applied = new AppliedService(spec.ConfigHash, spec.FieldHashes, spec.Container.Image, null, "abc", System.Collections.Immutable.ImmutableSortedDictionary<int, string>.Empty, spec);
        return AppliedState.Empty("h") with { Services = AppliedState.Empty("h").Services.Add(spec.QualifiedName, applied) };
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value, new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower });

    [Fact]
    public async Task Save_LeftoverWorldReadableTempFileAndStateFile_EndsOwnerOnly()
    {
        var store = new StateStore(root);
        var world = OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        await File.WriteAllTextAsync(store.PathFor("h"), "{}");
        await File.WriteAllTextAsync(store.PathFor("h") + ".tmp", "torn");
        File.SetUnixFileMode(store.PathFor("h"), world);
        File.SetUnixFileMode(store.PathFor("h") + ".tmp", world);

        await store.SaveAsync(AppliedState.Empty("h"), CancellationToken.None);

        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(store.PathFor("h")));
    }

    [Fact]
    public void EnsureDirectory_ExistingDirectory_KeepsTheModeTheOperatorChose()
    {
        var chosen = Directory.CreateDirectory(Path.Combine(root, "chosen")).FullName;
        File.SetUnixFileMode(chosen, OwnerOnlyDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        StateStore.EnsureDirectory(chosen);

        Assert.Equal(OwnerOnlyDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, File.GetUnixFileMode(chosen));
    }
}
