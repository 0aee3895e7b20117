using System.Globalization;

namespace Berth.Reconciler.Images;

/// <summary>
/// One message of the engine's pull stream, in berth's own terms (the engine client's types stay in Engine/): a layer's status ("Pulling fs
/// layer", "Downloading", "Download complete", "Pull complete", "Already exists", ...) or a message about
/// the whole pull (no <paramref name="LayerId"/>: "Digest: ...", "Status: ...").
/// </summary>
/// <param name="LayerId">The layer's short id; also set on "Pulling from &lt;repository&gt;", whose id is the tag.</param>
/// <param name="Current">Bytes downloaded (or extracted) so far, when the engine says.</param>
/// <param name="Total">The layer's size in bytes, when the engine says.</param>
public sealed record PullMessage(string? LayerId, string Status, long? Current = null, long? Total = null);

/// <summary>What a pull has done so far, from its messages (<see cref="PullProgress.Snapshot"/>).</summary>
/// <param name="Layers">Layers the engine named so far (it names all of them once it has the manifest).</param>
/// <param name="LayersDone">Layers pulled and extracted, or already on the host.</param>
/// <param name="LayersPresent">Of those, the layers the host already had ("Already exists": nothing downloaded).</param>
/// <param name="BytesDone">Bytes downloaded so far.</param>
/// <param name="BytesTotal">The sizes of the layers to download that the engine reported so far.</param>
/// <param name="AllSizesKnown">Whether every layer to download has reported its size (else <paramref name="BytesTotal"/> is a lower bound).</param>
public sealed record PullSnapshot(int Layers, int LayersDone, int LayersPresent, long BytesDone, long BytesTotal, bool AllSizesKnown)
{
    /// <summary>"2/5 layers, 12.3 MB of 40.1 MB"; before the engine named any layer: "resolving the image".</summary>
    public string Describe()
    {
        if (Layers == 0)
        {
            return "resolving the image";
        }

        var layers = $"{LayersDone.ToString(CultureInfo.InvariantCulture)}/{Layers.ToString(CultureInfo.InvariantCulture)} layers";
        if (BytesTotal == 0)
        {
            return layers;
        }

        return $"{layers}, {PullProgress.FormatBytes(BytesDone)} of {(AllSizesKnown ? "" : "at least ")}{PullProgress.FormatBytes(BytesTotal)}";
    }

    /// <summary>"5 layers (2 already present), 40.1 MB downloaded": what a finished pull says.</summary>
    public string DescribeFinished()
    {
        var layers = $"{Layers.ToString(CultureInfo.InvariantCulture)} layer{(Layers == 1 ? "" : "s")}";
        if (LayersPresent > 0)
        {
            layers += $" ({LayersPresent.ToString(CultureInfo.InvariantCulture)} already present)";
        }

        return $"{layers}, {PullProgress.FormatBytes(BytesDone)} downloaded";
    }
}

/// <summary>
/// Aggregates one pull's stream of messages per layer into layers done / total and bytes done / total.
/// The engine reports each layer separately and many times a second; this keeps only each layer's latest
/// state, so that a progress line every few seconds can say where the whole pull stands.
/// </summary>
/// <remarks>
/// Thread-safe: the engine client reports on its reading thread while a timer reads snapshots. Layer
/// statuses are moby's (distribution/pull_v2.go, distribution/xfer): a layer is done at "Pull complete"
/// or "Already exists"; its bytes are downloaded at "Download complete" (and every status after it). A
/// retried pull reports the same layers again, which only updates them.
/// </remarks>
public sealed class PullProgress : IProgress<PullMessage>
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, LayerState> layers = new(StringComparer.Ordinal);

    public void Report(PullMessage value)
    {
        // "Pulling from team/web" carries the tag as its id: not a layer.
        if (string.IsNullOrEmpty(value.LayerId) || value.Status.StartsWith("Pulling from", StringComparison.Ordinal))
        {
            return;
        }

        lock (gate)
        {
            var layer = layers.TryGetValue(value.LayerId, out var known) ? known : new LayerState();
            switch (value.Status)
            {
                case "Already exists":
                    layer = layer with { Present = true, Done = true };
                    break;
                case "Downloading":
                    layer = layer with
                    {
                        Total = value.Total is > 0 ? value.Total : layer.Total,
                        Downloaded = Math.Max(layer.Downloaded, value.Current ?? 0),
                    };
                    break;
                case "Verifying Checksum" or "Download complete" or "Extracting":
                    layer = layer with { Downloaded = layer.Total ?? layer.Downloaded, DownloadFinished = true };
                    break;
                case "Pull complete":
                    layer = layer with { Downloaded = layer.Total ?? layer.Downloaded, DownloadFinished = true, Done = true };
                    break;
            }

            layers[value.LayerId] = layer;
        }
    }

    public PullSnapshot Snapshot()
    {
        lock (gate)
        {
            var toDownload = layers.Values.Where(layer => !layer.Present).ToList();
            return new PullSnapshot(
                layers.Count,
                layers.Values.Count(layer => layer.Done),
                layers.Values.Count(layer => layer.Present),
                toDownload.Sum(layer => layer.Downloaded),
                toDownload.Sum(layer => layer.Total ?? 0),
                toDownload.All(layer => layer.Total is not null || layer.DownloadFinished));
        }
    }

    /// <summary>Decimal units as the Docker CLI prints sizes: "512 B", "3.4 kB", "12.3 MB", "1.2 GB".</summary>
    public static string FormatBytes(long bytes)
    {
        string[] units = ["kB", "MB", "GB", "TB"];
        if (bytes < 1000)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }

        var value = (double)bytes;
        var unit = -1;
        while (value >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }

        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>One layer's latest state; <see cref="Total"/> null until the engine reported its size.</summary>
    private sealed record LayerState(long? Total = null, long Downloaded = 0, bool DownloadFinished = false, bool Present = false, bool Done = false);
}
