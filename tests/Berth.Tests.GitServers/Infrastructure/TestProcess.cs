using System.Diagnostics;
using System.Text;

namespace Berth.Tests.Infrastructure;

/// <summary>Runs a tool the tests need (git, ssh-keygen, gpg) to completion; a failure or a missing tool fails the test.</summary>
public static class TestProcess
{
    public static async Task<string> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? standardInput = null,
        TimeSpan? timeout = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        using var timeoutSource = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', startInfo.ArgumentList)} did not finish in time");
        }

        var standardOutput = await output;
        var standardError = await error;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', startInfo.ArgumentList)} exited {process.ExitCode}:{Environment.NewLine}{standardError}{standardOutput}");
        }

        return standardOutput;
    }
}

/// <summary>A temporary directory removed with everything in it, even when the test failed.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string purpose)
    {
        // Short paths: gpg-agent's socket path must stay under 108 characters.
        Path = Directory.CreateTempSubdirectory($"berth-{purpose}-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>Poll-until with a deadline: the only way these tests wait for anything.</summary>
public static class Eventually
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > deadline)
            {
                throw new TimeoutException($"{what} did not happen within {deadline.TotalSeconds} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }
}

/// <summary>Captures a child server's output for the failure message.</summary>
public sealed class OutputBuffer
{
    private readonly StringBuilder text = new();

    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (text)
        {
            text.AppendLine(line);
        }
    }

    public override string ToString()
    {
        lock (text)
        {
            return text.ToString();
        }
    }
}
