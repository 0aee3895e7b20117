using System.Diagnostics;
using System.Text;
using Berth.Tests.Shared;

namespace Berth.Tests.Infrastructure;

/// <summary>The real `berth` (berth.dll next to the tests, or BERTH_TEST_BINARY: <see cref="BerthExecutable"/>) run as a child process.</summary>
public sealed class BerthProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private BerthProcess(Process process) => this.process = process;

    public static BerthProcess Start(params string[] arguments)
    {
        var startInfo = BerthExecutable.StartInfo(Path.Combine(AppContext.BaseDirectory, "berth.dll"), arguments);

        var process = new Process { StartInfo = startInfo };
        var berth = new BerthProcess(process);
        process.OutputDataReceived += (_, line) => berth.Append(line.Data);
        process.ErrorDataReceived += (_, line) => berth.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return berth;
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] arguments)
    {
        using var berth = Start(arguments);
        var exitCode = await berth.WaitForExitAsync(timeout);
        return (exitCode, berth.Output);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancellation.Token);
        process.WaitForExit(); // drains the asynchronous output readers
        return process.ExitCode;
    }

    /// <summary>Polls the output until a line contains the text.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"berth never printed '{text}'. Output:\n{Output}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>SIGTERM, as systemd sends on stop.</summary>
    public void Terminate()
    {
        if (!process.HasExited)
        {
            System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }
    }

    /// <summary>SIGKILL: no cleanup code of berth's runs, as when the machine loses power.</summary>
    public void Kill() => process.Kill(entireProcessTree: true);

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
