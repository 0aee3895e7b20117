using Xunit.Abstractions;

namespace Berth.Tests.Faults.Infrastructure;

/// <summary>
/// The suite's printed summary: one line per scenario (points covered of the total, faults injected,
/// passes, data checks), appended to a file scripts/test.sh prints after the run (xunit keeps a passing
/// test's output to itself) and to the test's own output.
/// </summary>
public static class FaultsSummary
{
    /// <summary>BERTH_FAULTS_SUMMARY, else berth-faults-summary.txt in the temporary directory.</summary>
    public static string FilePath { get; } = Environment.GetEnvironmentVariable("BERTH_FAULTS_SUMMARY") is { Length: > 0 } path
        ? path
        : Path.Combine(Path.GetTempPath(), "berth-faults-summary.txt");

    private static readonly Lock Gate = new();

    public static void Record(ITestOutputHelper output, string line)
    {
        var stamped = $"berth faults [{FaultsProfile.Name}] {line}";
        output.WriteLine(stamped);
        lock (Gate)
        {
            File.AppendAllText(FilePath, stamped + "\n");
        }
    }
}
