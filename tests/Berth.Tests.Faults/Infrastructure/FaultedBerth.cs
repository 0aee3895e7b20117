using Berth.Tests.Shared;
using System.Diagnostics;
using System.Text;
using Berth.Reconciler.Faults;

namespace Berth.Tests.Faults.Infrastructure;

/// <summary>
/// The real `berth` binary run as a child process with the fault-injection switch
/// (<see cref="FaultInjection"/>, docs/reliability.md) set or not.
/// </summary>
public static class FaultedBerth
{
    /// <summary>What a run left: its exit code, whether a SIGKILL ended it, everything it printed.</summary>
    public sealed record Run(int ExitCode, bool Killed, string Output);

    /// <param name="faultSwitch">The value of BERTH_FAULT_INJECT; null: unset (berth as users run it).</param>
    public static async Task<Run> RunAsync(string? faultSwitch, TimeSpan timeout, params string[] arguments)
    {
        var startInfo = BerthExecutable.StartInfo(Path.Combine(AppContext.BaseDirectory, "berth.dll"), arguments);

        startInfo.Environment.Remove(FaultInjection.EnvironmentVariable);
        if (faultSwitch is not null)
        {
            startInfo.Environment[FaultInjection.EnvironmentVariable] = faultSwitch;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => { if (line.Data is { } text) { lock (output) { output.AppendLine(text); } } };
        process.ErrorDataReceived += (_, line) => { if (line.Data is { } text) { lock (output) { output.AppendLine(text); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"berth {string.Join(' ', arguments)} did not end within {timeout} (a hang). Output:\n{output}");
        }

        process.WaitForExit(); // drains the asynchronous readers
        // The dotnet host reports a child ended by signal N as 128 + N; SIGKILL is 9.
        var killed = process.ExitCode == 128 + 9;
        lock (output)
        {
            return new Run(process.ExitCode, killed, output.ToString());
        }
    }
}
