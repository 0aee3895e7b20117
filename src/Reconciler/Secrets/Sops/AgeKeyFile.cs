using System.Text;
using Berth.Reconciler.Processes;

namespace Berth.Reconciler.Secrets.Sops;

/// <summary>
/// The host's age identity file (`age-keygen` output, one or more AGE-SECRET-KEY-1... lines), used
/// through Debian's `age` binary, the reference implementation: berth never reads the secret key
/// itself, never puts it on a command line, and writes no X25519 code of its own.
/// </summary>
/// <remarks>
/// Its public keys (recipients) are asked of `age-keygen -y` once, the first time a file needs them:
/// they decide which of a file's data keys this host can open, and name this host in an error.
/// </remarks>
public sealed class AgeKeyFile
{
    /// <summary>age and age-keygen run on a local file: a second is plenty; this bounds a hung child.</summary>
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(10);

    private readonly BoundedProcess processes = new(TimeProvider.System);
    private readonly Lock gate = new();
    private IReadOnlyList<string>? recipients;

    public AgeKeyFile(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>
    /// Why <paramref name="path"/> must not be used as a key file (it does not exist, or other users may
    /// read or write it: like ssh with a private key, refuse it rather than trust it), or null.
    /// </summary>
    public static string? AccessProblem(string path)
    {
        if (!File.Exists(path))
        {
            return "does not exist";
        }

        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        var mode = File.GetUnixFileMode(path);
        const UnixFileMode OthersMayAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        return (mode & OthersMayAccess) != 0
            ? $"can be read or written by other users (mode {Convert.ToString((int)mode, 8)}); make it 0600 or 0400 (chmod 600)"
            : null;
    }

    /// <summary>Absolute path of the identity file.</summary>
    public string Path { get; }

    /// <summary>The program names, for a test or a packager that installs them elsewhere. Default: from PATH.</summary>
    internal string AgeProgram { get; init; } = "age";

    internal string AgeKeygenProgram { get; init; } = "age-keygen";

    /// <summary>This host's recipients (age1...), in the order of the identities in the file.</summary>
    /// <exception cref="SopsKeyException">The file cannot be read or holds no age identity.</exception>
    public IReadOnlyList<string> Recipients()
    {
        // Recorded whether or not this instance has asked age-keygen before: the load that asks depends on the key.
        Spec.HostInputs.FileSignature(Path);
        lock (gate)
        {
            if (recipients is not null)
            {
                return recipients;
            }

            var outcome = Run(new ProcessRequest(AgeKeygenProgram, ["-y", Path]) { Timeout = ToolTimeout });
            var found = outcome.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(line => line.StartsWith("age1", StringComparison.Ordinal)).ToList();
            if (!outcome.Succeeded || found.Count == 0)
            {
                throw new SopsKeyException($"age key file '{Path}' holds no usable age identity: {AgeError(outcome)}");
            }

            recipients = found;
            return recipients;
        }
    }

    /// <summary>The data key encrypted in <paramref name="armoredDataKey"/>, or null with age's reason when it does not open.</summary>
    internal (byte[]? DataKey, string Error) DecryptDataKey(string armoredDataKey)
    {
        // The identity goes by path (-i), the ciphertext by stdin: nothing secret on a command line.
        Spec.HostInputs.FileSignature(Path);
        var outcome = Run(new ProcessRequest(AgeProgram, ["--decrypt", "--identity", Path])
        {
            Timeout = ToolTimeout,
            StandardInput = Encoding.UTF8.GetBytes(armoredDataKey),
            StandardOutputAsBytes = true,
        });
        return outcome.Succeeded && outcome.StandardOutputBytes is { Length: 32 } dataKey
            ? (dataKey, "")
            : (null, outcome.Succeeded ? "the decrypted data key is not 32 bytes" : AgeError(outcome));
    }

    private ProcessOutcome Run(ProcessRequest request)
    {
        try
        {
            // The spec loader is synchronous; age on a local file returns in milliseconds.
            return processes.RunAsync(request, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (ProcessRunException exception)
        {
            throw new SopsKeyException($"{exception.Message} (Debian: apt-get install age)");
        }
    }

    /// <summary>age's own first error line ("age: error: ..."): it names what failed, never key material.</summary>
    private static string AgeError(ProcessOutcome outcome) =>
        outcome.TimedOut
            ? "age did not answer in time"
            : outcome.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()?.Replace("age: error: ", "", StringComparison.Ordinal)
              ?? $"exit code {outcome.ExitCode}";
}

/// <summary>The host's age key cannot be used at all (missing tool, unreadable or empty key file): a host problem, not a file's.</summary>
public sealed class SopsKeyException(string message) : Exception(message);
