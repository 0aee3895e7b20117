using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Yaml;

public sealed class YamlDocumentLoaderTests
{
    [Fact]
    public void SyntaxError_IsReportedWithItsPosition()
    {
        var errors = Errors("services:\n  web:\n    image: [busybox\n");

        var error = Assert.Single(errors);
        Assert.StartsWith("4:1: YAML syntax: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateKeys_AreEachReportedAtTheSecondKey()
    {
        var errors = Errors("services:\n  web:\n    image: a\n    init: true\n    image: b\n    init: false\n");

        Assert.Equal(
            ["5:5: duplicate key 'image' (first defined at line 3, column 5)", "6:5: duplicate key 'init' (first defined at line 4, column 5)"],
            errors);
    }

    [Fact]
    public void AnchorsAliasesAndMergeKeys_Work()
    {
        var stack = LoadStack("""
            x-defaults: &defaults
              image: busybox
              restart: always
              environment: &env
                A: "1"
            x-more: &more
              init: true
              restart: "no"
            services:
              web:
                <<: [*defaults, *more]
                restart: unless-stopped
              worker:
                <<: *defaults
                environment: *env
            """);

        var web = stack.Services.Single(service => service.Name == "web").Container;
        var worker = stack.Services.Single(service => service.Name == "worker").Container;
        Assert.Equal(("busybox", "unless-stopped", true), (web.Image, web.Restart, web.Init));
        Assert.Equal(("always", "1"), (worker.Restart, worker.Environment["A"]));
    }

    [Fact]
    public void MergedKeys_KeepTheirOwnPositionsInErrors()
    {
        var errors = Errors("x-base: &base\n  imagee: busybox\nservices:\n  web:\n    <<: *base\n    image: busybox\n");

        Assert.Equal(["2:3: unknown key 'imagee' in services.web, did you mean 'image'?"], errors);
    }

    [Fact]
    public void UnknownAlias_IsAnError()
    {
        Assert.Contains("4:11: unknown anchor '*nope' (an alias must follow its '&nope')", Errors("services:\n  web:\n    image: busybox\n    init: *nope\n"));
    }

    [Fact]
    public void AliasBomb_IsRejectedQuickly()
    {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + string.Join("", Enumerable.Range(0, 9).Select(level => $"{(char)('b' + level)}: &{(char)('b' + level)} [{string.Join(", ", Enumerable.Repeat($"*{(char)('a' + level)}", 10))}]\n"))
            + "services: {}\n";

        var error = Assert.Single(Errors(yaml));
        Assert.Contains("expands to more than", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondDocument_IsAnError()
    {
        Assert.Equal(["3:1: only one YAML document per file is allowed (remove the '---' separator)"], Errors("services:\n  web: { image: busybox }\n---\nservices: {}\n"));
    }

    [Fact]
    public void ComposeResetTag_IsNotSupported()
    {
        Assert.Contains("4:12: YAML tag '!reset' is not supported", Errors("services:\n  web:\n    image: busybox\n    ports: !reset []\n"));
    }

    [Fact]
    public void UnclosedFlowSequenceBeforeALessIndentedLine_IsASyntaxErrorNotACrash()
    {
        // YamlDotNet's scanner throws InvalidOperationException here (found by the fuzz test).
        var errors = Errors("services:\n  -\n      [\n  volumes:\n");

        var error = Assert.Single(errors);
        Assert.Contains("YAML syntax", error, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyFile_IsAnError()
    {
        Assert.Equal(["1:1: Compose file is empty"], Errors(""));
    }
}
