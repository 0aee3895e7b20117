using System.Diagnostics;

namespace Berth.Tests.Shared;

/// <summary>
/// How a test runs `berth` as a child process: `dotnet berth.dll` (the build's output) by default, or the
/// executable that <c>BERTH_TEST_BINARY</c> names. scripts/test.sh sets it to the Native AOT binary it
/// packages into the .deb, so every test that starts berth as a process runs what ships (an AOT binary
/// fails where the JIT would have used reflection; only a run of it finds that).
/// </summary>
public static class BerthExecutable
{
    public const string Variable = "BERTH_TEST_BINARY";

    /// <summary>The executable named by <see cref="Variable"/>, or null (run the dll).</summary>
    public static string? Binary { get; } = Locate();

    /// <summary>The command that starts berth, before its own arguments: [binary] or [dotnetHost, dll].</summary>
    public static IReadOnlyList<string> CommandLine(string dllPath, string dotnetHost = "dotnet") =>
        Binary is { } binary ? [binary] : [dotnetHost, dllPath];

    /// <summary>A start info for berth with <paramref name="arguments"/>, output redirected.</summary>
    public static ProcessStartInfo StartInfo(string dllPath, IEnumerable<string> arguments, string dotnetHost = "dotnet")
    {
        var command = CommandLine(dllPath, dotnetHost);
        var startInfo = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1).Concat(arguments))
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    private static string? Locate()
    {
        var binary = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(binary))
        {
            return null;
        }

        // Named but missing is a broken setup, not a reason to test something else quietly.
        return File.Exists(binary) ? Path.GetFullPath(binary) : throw new FileNotFoundException($"{Variable}={binary} does not exist", binary);
    }
}
