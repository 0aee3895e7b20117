using System.Text;
using Berth.Reconciler.Spec;
using Xunit.Abstractions;

namespace Berth.Tests.Spec;

/// <summary>
/// Third-party Compose files, byte for byte as their projects publish them (Spec/Corpus/files, origins and
/// licences in SOURCES.md), each loaded as berth would load a one-stack repository whose compose.yaml is
/// that file. Refusals are expected (berth refuses some Compose features on purpose); what must hold for
/// every file is: no crash, no hang, and every error points inside the file. The acceptance rate is a
/// ratchet: raise the floor below when berth accepts more, never lower it.
/// The measured table is in docs/compose-compatibility.md; this test prints it (dotnet test --logger
/// "console;verbosity=detailed").
/// </summary>
public sealed class CompatibilityCorpusTests(ITestOutputHelper output)
{
    // Measured on the corpus as committed; see docs/compose-compatibility.md.
    private const int AcceptedFloor = 25;
    private const int AcceptedWithoutBuildFloor = 48;

    // Thousands of times what a load takes (milliseconds): a bound for "it does not hang", not a timing test.
    private static readonly TimeSpan LoadBound = TimeSpan.FromSeconds(10);

    internal static string CorpusRoot() =>
        Path.Combine(SpecLoaderTests.RepositoryRoot(), "tests", "Berth.Tests.Pure", "Spec", "Corpus", "files");

    /// <summary>Every collected Compose file, as a path relative to the corpus root ('/'-separated, sorted).</summary>
    internal static IReadOnlyList<string> ComposeFiles() =>
        [.. Directory.EnumerateFiles(CorpusRoot(), "*", SearchOption.AllDirectories)
            .Where(IsComposeFile)
            .Select(path => Path.GetRelativePath(CorpusRoot(), path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    private static bool IsComposeFile(string path) =>
        path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal);

    public static TheoryData<string> ComposeFileNames() => [.. ComposeFiles()];

    private sealed record Outcome(string File, string Text, HostLoadResult Result);

    /// <summary>
    /// Loads one corpus file as the root compose.yaml of a repository. The other files the project publishes
    /// beside it (its .env, a secret file; collected under the same folder, anything but .yaml/.yml) are in
    /// the repository too, at the same relative paths. The load runs on the thread pool so that a hang
    /// fails the test instead of blocking the run.
    /// </summary>
    private static HostLoadResult Load(string relativePath, string composeText)
    {
        var repository = SpecTestRepository.Compose(composeText);
        var projectDirectory = Path.GetDirectoryName(Path.Combine(CorpusRoot(), relativePath))!;
        foreach (var file in Directory.EnumerateFiles(projectDirectory, "*", SearchOption.AllDirectories).Where(path => !IsComposeFile(path)))
        {
            repository.With(Path.GetRelativePath(projectDirectory, file).Replace('\\', '/'), File.ReadAllText(file));
        }

        var load = Task.Run(() => repository.LoadHost());
        Assert.True(load.Wait(LoadBound), $"{relativePath}: loading took longer than {LoadBound.TotalSeconds}s");
        return load.Result;
    }

    private static Outcome LoadCorpusFile(string relativePath)
    {
        var text = File.ReadAllText(Path.Combine(CorpusRoot(), relativePath));
        return new Outcome(relativePath, text, Load(relativePath, text));
    }

    [Fact]
    public void Corpus_HasAtLeastSixtyFiles()
    {
        Assert.True(ComposeFiles().Count >= 60, $"{ComposeFiles().Count} files");
    }

    [Theory]
    [MemberData(nameof(ComposeFileNames))]
    public void CorpusFile_Loads_WithoutCrashOrHangAndEveryErrorPointsInsideTheFile(string relativePath)
    {
        var outcome = LoadCorpusFile(relativePath);
        var projectDirectory = Path.GetDirectoryName(Path.Combine(CorpusRoot(), relativePath))!;

        // A refusal is fine; an accepted file has a state, a refused one has errors, never neither.
        Assert.True(outcome.Result.Errors.IsEmpty == (outcome.Result.State is not null), string.Join("\n", outcome.Result.Errors));
        Assert.All(outcome.Result.Errors, error =>
        {
            // Inside the Compose file, or inside a file of its project that it reads (its .env).
            var path = Path.Combine(projectDirectory, error.File);
            Assert.True(error.File == "compose.yaml" || File.Exists(path), $"{error}: not a file of the project");
            var lines = (error.File == "compose.yaml" ? outcome.Text : File.ReadAllText(path)).Split('\n');
            Assert.InRange(error.Line, 1, lines.Length);
            Assert.InRange(error.Column, 1, lines[error.Line - 1].TrimEnd('\r').Length + 1);
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        });
    }

    [Fact]
    public void Corpus_AcceptanceRate_IsAtLeastTheMeasuredRate()
    {
        var outcomes = ComposeFiles().Select(LoadCorpusFile).ToList();
        var accepted = outcomes.Count(outcome => outcome.Result.Errors.IsEmpty);
        var withoutBuild = outcomes
            .Select(outcome => outcome with { Result = Load(outcome.File, BuildRemoval.WithoutBuild(outcome.Text)) })
            .ToList();
        var acceptedWithoutBuild = withoutBuild.Count(outcome => outcome.Result.Errors.IsEmpty);

        output.WriteLine($"files {outcomes.Count}, accepted {accepted}, accepted without build {acceptedWithoutBuild}");
        output.WriteLine("Refusals, by the first error's cause:");
        output.WriteLine(Report(outcomes));
        output.WriteLine("Refusals with build removed:");
        output.WriteLine(Report(withoutBuild));

        Assert.True(accepted >= AcceptedFloor, $"accepted {accepted} of {outcomes.Count}, the floor is {AcceptedFloor}");
        Assert.True(acceptedWithoutBuild >= AcceptedWithoutBuildFloor,
            $"accepted without build {acceptedWithoutBuild} of {outcomes.Count}, the floor is {AcceptedWithoutBuildFloor}");
    }

    private static string Report(List<Outcome> outcomes)
    {
        var report = new StringBuilder();
        var refusals = outcomes
            .Where(outcome => !outcome.Result.Errors.IsEmpty)
            .GroupBy(outcome => RefusalCause.Of(outcome.Result.Errors[0].Message))
            .OrderByDescending(group => group.Count()).ThenBy(group => group.Key, StringComparer.Ordinal);
        foreach (var cause in refusals)
        {
            report.AppendLine($"{cause.Count(),3}  {cause.Key}");
            foreach (var outcome in cause)
            {
                report.AppendLine($"       {outcome.File}");
                foreach (var error in outcome.Result.Errors)
                {
                    report.AppendLine($"         {error.Line}:{error.Column}: {error.Message}");
                }
            }
        }

        return report.ToString();
    }
}

/// <summary>The cause of a refusal: the first error's message with its specifics (quoted names, variable names, numbers) blanked.</summary>
internal static partial class RefusalCause
{
    public static string Of(string message) =>
        Numbers().Replace(Variables().Replace(Quoted().Replace(message, "'…'"), "…"), "N");

    // A quoted name, not the apostrophe of "host's".
    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![A-Za-z])'[^']*'(?![A-Za-z])")]
    private static partial System.Text.RegularExpressions.Regex Quoted();

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<=variable )\w+|(?<=\$\{)\w+")]
    private static partial System.Text.RegularExpressions.Regex Variables();

    [System.Text.RegularExpressions.GeneratedRegex(@"\d+")]
    private static partial System.Text.RegularExpressions.Regex Numbers();
}
