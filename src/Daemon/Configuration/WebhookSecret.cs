using System.Text;

namespace Berth.Daemon.Configuration;

/// <summary>
/// A webhook secret read from a file. It prints as "***" so that it cannot leak into a log line or an
/// exception message by accident (records print their members).
/// </summary>
public sealed class WebhookSecret
{
    private readonly byte[] value;

    public WebhookSecret(string secret, string sourceFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        value = Encoding.UTF8.GetBytes(secret);
        SourceFile = sourceFile;
    }

    /// <summary>Where it was read from (for messages; the path is not secret).</summary>
    public string SourceFile { get; }

    /// <summary>The secret's UTF-8 bytes. Only the webhook verifiers use them.</summary>
    public ReadOnlySpan<byte> Bytes => value;

    public override string ToString() => "***";
}
