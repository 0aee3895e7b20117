using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Reconciler.State;

/// <summary>
/// Reads and writes <see cref="AppliedState"/> as JSON in the state directory, one file per host
/// identity. Writes are atomic (temp file, fsync, rename) so a crash never leaves a torn record.
/// </summary>
public sealed class StateStore(string stateDirectory)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter() },
    };

    public string StateDirectory { get; } = stateDirectory;

    public string PathFor(string host) => Path.Combine(StateDirectory, $"state-{host}.json");

    public async Task<AppliedState> LoadAsync(string host, CancellationToken cancellationToken)
    {
        var path = PathFor(host);
        if (!File.Exists(path))
        {
            return AppliedState.Empty(host);
        }

        await using var stream = File.OpenRead(path);
        var state = await JsonSerializer.DeserializeAsync<AppliedState>(stream, Json, cancellationToken).ConfigureAwait(false);
        return state ?? AppliedState.Empty(host);
    }

    public async Task SaveAsync(AppliedState state, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(StateDirectory);
        var path = PathFor(state.Host);
        var temporary = path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, state, Json, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
