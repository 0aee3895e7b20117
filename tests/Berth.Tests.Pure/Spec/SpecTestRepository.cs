using System.Collections.Immutable;
using System.Text;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Spec;

/// <summary>A desired-state repository in memory, for loader tests without a file system.</summary>
internal sealed class SpecTestRepository : IRepositoryFiles
{
    private readonly Dictionary<string, string> files = new(StringComparer.Ordinal);

    public string RootPath { get; init; } = "/repo";

    public SpecTestRepository With(string path, string text)
    {
        files[path] = text;
        return this;
    }

    public bool Exists(string relativePath) => files.ContainsKey(relativePath);

    public LimitedText ReadText(string relativePath, int maxBytes) =>
        !files.TryGetValue(relativePath, out var text) ? LimitedText.Missing
        : Encoding.UTF8.GetByteCount(text) is var length && length > maxBytes ? LimitedText.TooLarge(length)
        : LimitedText.Of(text, length);

    public HostLoadResult LoadHost(string host = "host1", SpecLoadOptions? options = null) =>
        SpecLoader.LoadHost(this, host, options ?? SpecLoadOptions.Default);

    /// <summary>A repository whose root compose.yaml is the given text (one stack, every host).</summary>
    public static SpecTestRepository Compose(string yaml) => new SpecTestRepository().With("compose.yaml", yaml);

    /// <summary>Loads a one-file Compose project named "app" and returns its only stack, failing with the errors otherwise.</summary>
    public static StackSpec LoadStack(string yaml, SpecLoadOptions? options = null)
    {
        var result = Compose("name: app\n" + yaml).LoadHost(options: options);
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        return Assert.Single(result.State!.Stacks);
    }

    public static ServiceSpec LoadService(string serviceYaml, SpecLoadOptions? options = null, string extraTopLevel = "")
    {
        var indented = string.Join("\n", serviceYaml.Trim('\n').Split('\n').Select(line => "    " + line));
        var stack = LoadStack($"services:\n  web:\n{indented}\n{extraTopLevel}", options);
        return Assert.Single(stack.Services, service => service.Name == "web");
    }

    /// <summary>The errors of loading a root compose.yaml (its text exactly as given), as "line:column: message".</summary>
    public static string[] Errors(string yaml, SpecLoadOptions? options = null) =>
        [.. Compose(yaml).LoadHost(options: options).Errors.Select(error => $"{error.Line}:{error.Column}: {error.Message}")];
}
