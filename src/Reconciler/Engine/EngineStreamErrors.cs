using Berth.Reconciler.Images;
using Docker.DotNet.Models;

namespace Berth.Reconciler.Engine;

/// <summary>
/// Collects the error of an engine progress stream (a pull, an image import) as each message is read,
/// and passes every message on as a <see cref="PullMessage"/> to <paramref name="messages"/>, when given.
/// </summary>
/// <remarks>
/// Why not <see cref="Progress{T}"/>: it posts every report to the thread pool (there is no
/// synchronisation context here), so when the engine call returns, the error message may not have been
/// recorded yet and a failed pull would look like a success. Docker.DotNet calls <see cref="Report"/>
/// on the reading thread, before the call returns: reading <see cref="Error"/> after the call sees
/// every message.
/// </remarks>
internal sealed class EngineStreamErrors(IProgress<PullMessage>? messages = null) : IProgress<JSONMessage>
{
    /// <summary>The last error the stream reported, or null.</summary>
    public string? Error { get; private set; }

    public void Report(JSONMessage value)
    {
        if (!string.IsNullOrEmpty(value.Error?.Message))
        {
            Error = value.Error.Message;
        }

        if (messages is not null && !string.IsNullOrEmpty(value.Status))
        {
            messages.Report(new PullMessage(value.ID, value.Status, value.Progress?.Current, value.Progress?.Total));
        }
    }
}
