using System.Diagnostics;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Servers;

/// <summary>
/// A real server run as a child process for one test: started on a free loopback port, ready once it
/// accepts connections (polled with a deadline), and killed with its whole process tree on dispose,
/// also when the test failed. Its output is kept for failure messages.
/// </summary>
public sealed class ChildServer : IAsyncDisposable
{
    private readonly Process process;

    private ChildServer(Process process, int port, OutputBuffer output)
    {
        this.process = process;
        Port = port;
        Output = output;
    }

    public int Port { get; }

    public OutputBuffer Output { get; }

    public static async Task<ChildServer> StartAsync(string fileName, IEnumerable<string> arguments, int port, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var output = new OutputBuffer();
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => output.Append(line.Data);
        process.ErrorDataReceived += (_, line) => output.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ChildServer(process, port, output);
        try
        {
            await FreePort.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(15), output.ToString, () => process.HasExited);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            process.Dispose();
        }
    }
}
