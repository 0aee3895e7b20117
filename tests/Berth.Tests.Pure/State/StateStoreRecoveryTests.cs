using Berth.Reconciler.State;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Tests.State;

/// <summary>
/// An unreadable state file (a full disk truncated it, a crash or a person corrupted it) is set aside and
/// the host starts from an empty record, never a pass that fails on it forever (issue #20).
/// </summary>
public sealed class StateStoreRecoveryTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("berth-state-recovery-").FullName;
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 4, 23, 50, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(root, recursive: true);

    public static TheoryData<string, byte[]> UnreadableFiles => new()
    {
        { "empty (written when the disk was full)", [] },
        { "truncated mid-object", "{\n  \"host\": \"h\",\n  \"last_applied_revision\": \"ab"u8.ToArray() },
        { "binary garbage", [0x00, 0xff, 0x13, 0x37, 0x00] },
        { "not an object", "[1, 2, 3]"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(UnreadableFiles))]
    public async Task Load_UnreadableStateFile_StartsEmptyAndKeepsTheFileAside(string what, byte[] content)
    {
        var store = new StateStore(root, timeProvider: time);
        await File.WriteAllBytesAsync(store.PathFor("h"), content);

        var state = await store.LoadAsync("h", CancellationToken.None);

        Assert.Equal(AppliedState.Empty("h").Services, state.Services);
        Assert.Null(state.LastAppliedRevision);
        Assert.False(File.Exists(store.PathFor("h")), what);
        var kept = store.PathFor("h") + ".corrupt-20261204T235000000Z";
        Assert.Equal(content, await File.ReadAllBytesAsync(kept));
    }

    [Fact]
    public async Task BeginLoadingThenLoad_UnreadableStateFile_SetAsideOnce()
    {
        var store = new StateStore(root, timeProvider: time);
        await File.WriteAllBytesAsync(store.PathFor("h"), "{ not json"u8.ToArray());

        store.BeginLoading("h");
        var loaded = await store.LoadAsync("h", CancellationToken.None);

        Assert.Null(loaded.LastAppliedRevision);
        Assert.Single(Directory.GetFiles(root, "state-h.json.corrupt-*"));
        Assert.False(File.Exists(store.PathFor("h")));
    }

    [Fact]
    public async Task LoadSaveLoad_AfterRecovery_TheNewRecordIsReadBack()
    {
        var store = new StateStore(root, timeProvider: time);
        await File.WriteAllTextAsync(store.PathFor("h"), "{ \"host\": ");
        var recovered = await store.LoadAsync("h", CancellationToken.None);

        await store.SaveAsync(recovered with { LastAppliedRevision = "abc123" }, CancellationToken.None);

        Assert.Equal("abc123", (await store.LoadAsync("h", CancellationToken.None)).LastAppliedRevision);
    }
}
