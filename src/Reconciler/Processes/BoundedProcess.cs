using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Berth.Reconciler.Processes;

/// <summary>What a finished (or killed) child process left behind.</summary>
internal sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StandardError, bool TimedOut, TimeSpan Duration)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    /// <summary>Stdout as bytes, when <see cref="ProcessRequest.StandardOutputAsBytes"/> asked for it (then <see cref="StandardOutput"/> is empty).</summary>
    public byte[]? StandardOutputBytes { get; init; }
}

/// <summary>How to run one child process.</summary>
internal sealed record ProcessRequest(string FileName, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables to set (value) or remove (null) on top of the sanitised inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Bytes written to stdin, which is then closed. Null: stdin is closed at once, so nothing can wait on a prompt.</summary>
    public byte[]? StandardInput { get; init; }

    public required TimeSpan Timeout { get; init; }

    /// <summary>
    /// When set, only the stdout lines it accepts are kept (without their line break), and the capture
    /// bound applies to what is kept, not to everything the child printed. For output whose size a third
    /// party decides (ls-remote lists every branch anyone pushed): the line wanted must not be pushed out
    /// of the bounded capture by lines nobody wanted. Null (the default): the tail of stdout is kept.
    /// </summary>
    public Func<string, bool>? KeepStandardOutputLine { get; init; }

    /// <summary>
    /// Capture stdout as raw bytes (<see cref="ProcessOutcome.StandardOutputBytes"/>), for a tool whose
    /// output is binary (age prints a decrypted SOPS data key): text decoding would corrupt it. Default: false.
    /// </summary>
    public bool StandardOutputAsBytes { get; init; }
}

/// <summary>The child process could not be started at all (the tool is not installed, not executable).</summary>
internal sealed class ProcessRunException(string fileName, string message, Exception? innerException = null)
    : Exception(message, innerException)
{
    /// <summary>The program that could not be run.</summary>
    public string FileName { get; } = fileName;
}

/// <summary>
/// Runs a child process (git, ssh-keygen, gpg, nsenter) with a hard time limit.
/// </summary>
/// <remarks>
/// This is the reason network operations use the system git and not LibGit2Sharp: a LibGit2Sharp
/// fetch blocks a thread inside native code with no timeout and no cancellation, so a server that
/// accepts a connection and never answers pins that thread forever, and a Polly timeout cannot
/// interrupt it. A child process can always be killed. On timeout or cancellation the whole process
/// tree goes (git starts git-remote-https, ssh, upload-pack helpers), because killing only git would
/// leave a hung ssh holding the connection and our stderr pipe.
/// </remarks>
internal sealed class BoundedProcess(TimeProvider timeProvider)
{
    // Enough of git's stderr to explain a failure; a misbehaving server cannot fill memory.
    private const int MaxCapturedChars = 64 * 1024;

    // After a kill, how long we wait for the exit and for the pipes to drain before giving up on them.
    // Part of the promised bound: a call returns within its timeout plus this slack.
    internal static readonly TimeSpan KillGracePeriod = TimeSpan.FromSeconds(2);

    // Variables from the daemon's own environment that would change what git does, where it reads
    // config from, or make it print secrets (GIT_TRACE_CURL prints Authorization headers). Removed for
    // every child: none of berth's tools needs them, and a child must never print a secret.
    private static readonly string[] RemovedInheritedVariables =
    [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
        "GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_SSH_VARIANT", "SSH_AUTH_SOCK",
        "GIT_TRACE", "GIT_TRACE_CURL", "GIT_TRACE_PACKET", "GIT_TRACE_PACK_ACCESS", "GIT_TRACE_PERFORMANCE",
        "GIT_TRACE_SETUP", "GIT_TRACE2", "GIT_TRACE2_EVENT", "GIT_TRACE2_PERF", "GIT_CURL_VERBOSE",
        "GIT_EXEC_PATH", "GIT_TEMPLATE_DIR", "GNUPGHOME",
    ];

    public async Task<ProcessOutcome> RunAsync(ProcessRequest request, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(request.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = request.WorkingDirectory ?? "",
        };
        foreach (var argument in request.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var name in RemovedInheritedVariables)
        {
            startInfo.Environment.Remove(name);
        }

        foreach (var name in startInfo.Environment.Keys.Where(key => key.StartsWith("GIT_CONFIG_KEY_", StringComparison.Ordinal) || key.StartsWith("GIT_CONFIG_VALUE_", StringComparison.Ordinal)).ToList())
        {
            startInfo.Environment.Remove(name);
        }

        // English, stable messages: errors are classified from the tools' stderr (git's, ssh's).
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANGUAGE"] = "C";
        foreach (var (name, value) in request.Environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        var started = timeProvider.GetTimestamp();
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            throw new ProcessRunException(request.FileName, $"cannot run '{request.FileName}': {exception.Message}; is it installed?", exception);
        }

        // Read both pipes concurrently from the start: a child blocked on a full stderr pipe never exits.
        var standardOutputBytes = request.StandardOutputAsBytes ? ReadBoundedBytesAsync(process.StandardOutput.BaseStream) : Task.FromResult<byte[]>([]);
        var standardOutput = request.StandardOutputAsBytes
            ? Task.FromResult("")
            : request.KeepStandardOutputLine is { } keep
                ? ReadMatchingLinesAsync(process.StandardOutput, keep)
                : ReadBoundedAsync(process.StandardOutput);
        var standardError = ReadBoundedAsync(process.StandardError);
        // Not awaited here: a child that never reads its stdin must not block us outside the time limit.
        var writing = WriteStandardInputAsync(process, request.StandardInput);

        using var timeout = new CancellationTokenSource(request.Timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var timedOut = false;
        Task exited = Task.CompletedTask;
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            KillTree(process);
            timedOut = !cancellationToken.IsCancellationRequested;
            exited = process.WaitForExitAsync(CancellationToken.None);
        }

        // One grace period for everything that is left (the exit after a kill, stdin, both pipes), so the
        // bound stays "timeout + grace". A grandchild that escaped the kill may hold the pipes open: we
        // stop waiting for it then and keep what was read.
        await Task.WhenAny(Task.WhenAll(exited, writing, standardOutput, standardOutputBytes, standardError), Task.Delay(KillGracePeriod, timeProvider)).ConfigureAwait(false);
        var output = standardOutput.IsCompletedSuccessfully ? standardOutput.Result : "";
        var error = standardError.IsCompletedSuccessfully ? standardError.Result : "";
        var duration = timeProvider.GetElapsedTime(started);
        cancellationToken.ThrowIfCancellationRequested();
        return new ProcessOutcome(timedOut ? -1 : process.ExitCode, output, error, timedOut, duration)
        {
            StandardOutputBytes = request.StandardOutputAsBytes && standardOutputBytes.IsCompletedSuccessfully ? standardOutputBytes.Result : null,
        };
    }

    /// <summary>The first <see cref="MaxCapturedChars"/> bytes of a binary stdout; the rest is read and dropped.</summary>
    private static async Task<byte[]> ReadBoundedBytesAsync(Stream stream)
    {
        using var captured = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                captured.Write(buffer, 0, (int)Math.Min(read, Math.Max(0, MaxCapturedChars - captured.Length)));
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
            // The pipe broke because the process was killed; what we have is what there is.
        }

        return captured.ToArray();
    }

    private static async Task WriteStandardInputAsync(Process process, byte[]? input)
    {
        try
        {
            if (input is { Length: > 0 })
            {
                await process.StandardInput.BaseStream.WriteAsync(input).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The child exited (or was killed) without reading its input; its exit code and stderr say why.
        }
    }

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Exited between the check and the kill.
        }
    }

    private static async Task<string> ReadMatchingLinesAsync(StreamReader reader, Func<string, bool> keep)
    {
        var kept = new StringBuilder();
        var line = new StringBuilder();
        // A line longer than the bound is no line anyone asked for: it is dropped without being held whole.
        var overlong = false;
        var buffer = new char[4096];
        void EndLine()
        {
            var text = line.ToString().TrimEnd('\r');
            if (!overlong && kept.Length + text.Length + 1 <= MaxCapturedChars && keep(text))
            {
                kept.Append(text).Append('\n');
            }

            line.Clear();
            overlong = false;
        }

        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                for (var index = 0; index < read; index++)
                {
                    if (buffer[index] == '\n')
                    {
                        EndLine();
                    }
                    else if (line.Length < MaxCapturedChars)
                    {
                        line.Append(buffer[index]);
                    }
                    else
                    {
                        overlong = true;
                    }
                }
            }

            if (line.Length > 0)
            {
                EndLine();
            }
        }
        catch (IOException)
        {
            // The pipe broke because the process was killed; what we have is what there is.
        }
        catch (ObjectDisposedException)
        {
        }

        return kept.ToString();
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader)
    {
        var captured = new StringBuilder();
        var buffer = new char[4096];
        try
        {
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                // Keep the tail: git's last lines ("fatal: ...") say what went wrong.
                captured.Append(buffer, 0, read);
                if (captured.Length > MaxCapturedChars)
                {
                    captured.Remove(0, captured.Length - MaxCapturedChars);
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke because the process was killed; what we have is what there is.
        }
        catch (ObjectDisposedException)
        {
        }

        return captured.ToString();
    }
}
