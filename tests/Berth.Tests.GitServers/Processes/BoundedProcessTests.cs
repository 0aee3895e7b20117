using System.Diagnostics;
using Berth.Reconciler.Processes;

namespace Berth.Tests.Processes;

/// <summary>The time bound every network call relies on, checked with plain child processes.</summary>
public sealed class BoundedProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task RunAsync_ChildAndGrandchildHang_KillsTheTreeWithinTimeoutPlusGrace()
    {
        var marker = $"berth-bounded-{Guid.NewGuid():N}";
        var processes = new BoundedProcess(TimeProvider.System);
        var stopwatch = Stopwatch.StartNew();

        // The grandchild inherits stdout/stderr, like ssh under git: killing only the child would leave it holding the pipes.
        var outcome = await processes.RunAsync(
            new ProcessRequest("sh", ["-c", $"sleep 300 {marker} & echo started; sleep 300"]) { Timeout = Timeout },
            CancellationToken.None);

        Assert.True(outcome.TimedOut);
        Assert.False(outcome.Succeeded);
        Assert.InRange(stopwatch.Elapsed, Timeout, Timeout + BoundedProcess.KillGracePeriod + TimeSpan.FromSeconds(1));
        Assert.False(
            Directory.EnumerateDirectories("/proc").Any(directory => ReadCommandLine(directory).Contains(marker, StringComparison.Ordinal)),
            "the grandchild survived the kill");
    }

    [Fact]
    public async Task RunAsync_StandardOutputAsBytes_KeepsBytesThatAreNotText()
    {
        // age prints a decrypted SOPS data key: raw bytes that UTF-8 decoding would replace.
        var outcome = await new BoundedProcess(TimeProvider.System).RunAsync(
            new ProcessRequest("printf", ["\\000\\377\\200A"]) { Timeout = TimeSpan.FromSeconds(30), StandardOutputAsBytes = true },
            CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.StandardError);
        Assert.Equal([0x00, 0xff, 0x80, (byte)'A'], outcome.StandardOutputBytes);
        Assert.Equal("", outcome.StandardOutput);
    }

    [Fact]
    public async Task RunAsync_LineFilterAndOutputFarBeyondTheBound_KeepsTheWantedLineOnly()
    {
        // The wanted line comes first, then 200K characters of lines nobody asked for, then one line longer
        // than the bound: a tail-keeping capture would have lost the first line.
        var outcome = await new BoundedProcess(TimeProvider.System).RunAsync(
            new ProcessRequest("sh", ["-c", "echo 'abc\twanted'; i=0; while [ $i -lt 4000 ]; do echo \"noise $i wanted but not whole\"; i=$((i+1)); done; head -c 100000 /dev/zero | tr '\\0' x; echo"])
            {
                Timeout = TimeSpan.FromSeconds(30),
                KeepStandardOutputLine = line => line.EndsWith("\twanted", StringComparison.Ordinal),
            },
            CancellationToken.None);

        Assert.True(outcome.Succeeded, outcome.StandardError);
        Assert.Equal("abc\twanted\n", outcome.StandardOutput);
    }

    [Fact]
    public async Task RunAsync_ChildNeverReadsLargeInput_StillBoundedByTheTimeout()
    {
        var processes = new BoundedProcess(TimeProvider.System);
        var stopwatch = Stopwatch.StartNew();

        var outcome = await processes.RunAsync(
            new ProcessRequest("sleep", ["300"]) { StandardInput = new byte[4 * 1024 * 1024], Timeout = Timeout },
            CancellationToken.None);

        Assert.True(outcome.TimedOut);
        Assert.InRange(stopwatch.Elapsed, Timeout, Timeout + BoundedProcess.KillGracePeriod + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task RunAsync_InheritedGitTraceVariables_AreNotPassedOn()
    {
        Environment.SetEnvironmentVariable("GIT_TRACE_CURL", "1");
        try
        {
            var outcome = await new BoundedProcess(TimeProvider.System).RunAsync(
                new ProcessRequest("sh", ["-c", "echo \"trace=${GIT_TRACE_CURL:-unset} lang=$LC_ALL\""]) { Timeout = TimeSpan.FromSeconds(10) },
                CancellationToken.None);

            Assert.Equal("trace=unset lang=C", outcome.StandardOutput.Trim());
        }
        finally
        {
            Environment.SetEnvironmentVariable("GIT_TRACE_CURL", null);
        }
    }

    [Fact]
    public async Task RunAsync_ToolMissing_ThrowsProcessRunException()
    {
        var exception = await Assert.ThrowsAsync<ProcessRunException>(() => new BoundedProcess(TimeProvider.System).RunAsync(
            new ProcessRequest("berth-no-such-tool", []) { Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None));

        Assert.Equal("berth-no-such-tool", exception.FileName);
        Assert.StartsWith("cannot run 'berth-no-such-tool': ", exception.Message, StringComparison.Ordinal);
        Assert.EndsWith("; is it installed?", exception.Message, StringComparison.Ordinal);
    }

    private static string ReadCommandLine(string procDirectory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(procDirectory, "cmdline")).Replace('\0', ' ');
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
