using System.CommandLine;
using Berth.Daemon.Cli;
using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Waves;

/// <summary>`berth plan`'s wave line: offline it names who must prove the commit; with --wave-gate it asks, and a source it cannot ask holds.</summary>
public sealed class PlanWaveGateTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly WavePosition Wave2 = new(2, [new WaveMember("canary", 1, TimeSpan.FromMinutes(5))]);

    private static (PlanWaveGate Gate, ParseResult Parsed) Parse(params string[] arguments)
    {
        var gate = new PlanWaveGate();
        var command = new RootCommand();
        gate.AddTo(command);
        return (gate, command.Parse(arguments));
    }

    [Fact]
    public async Task Describe_WithoutGate_NamesTheEarlierHostsAndAsksNothing()
    {
        var (gate, parsed) = Parse();

        var line = await gate.DescribeAsync(parsed, Wave2, Commit, CancellationToken.None);

        Assert.Equal("wave 2: the daemon applies this commit only once canary (wave 1) ran it converged and healthy for their soak time (--wave-gate URL asks now)", line);
    }

    [Fact]
    public async Task Describe_GateUnreachable_Held()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        var (gate, parsed) = Parse("--wave-gate", "http://127.0.0.1:1/");

        var line = await gate.DescribeAsync(parsed, Wave2, Commit, CancellationToken.None);

        Assert.StartsWith("wave 2: held: wave 2 waits for wave 1: the gate source cannot be asked: prometheus http://127.0.0.1:1/", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_NoGatedWave_NoLine()
    {
        var (gate, parsed) = Parse();

        Assert.Null(await gate.DescribeAsync(parsed, new WavePosition(1, []), Commit, CancellationToken.None));
        Assert.Null(await gate.DescribeAsync(parsed, null, Commit, CancellationToken.None));
    }

    [Fact]
    public void Parse_WaveGateNotAnHttpUrl_IsAParseError()
    {
        var (_, parsed) = Parse("--wave-gate", "prometheus:9090");

        Assert.Contains(parsed.Errors, error => error.Message == "--wave-gate: 'prometheus:9090' is not an http:// or https:// URL");
    }
}
