using Berth.Reconciler.Spec;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

/// <summary>The project's `.env`, read implicitly for interpolation as docker compose reads it.</summary>
public sealed class ProjectEnvFileTests
{
    [Fact]
    public void DotEnv_NextToTheComposeFile_InterpolatesAndStaysOutOfTheContainer()
    {
        var result = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox:${TAG}\n    environment: { URL: $URL }\n")
            .With(".env", "# the project's defaults\nTAG=1.36\nDOMAIN=example.org\nURL=https://${DOMAIN}/\n")
            .LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var container = result.State!.Stacks[0].Services[0].Container;
        Assert.Equal("busybox:1.36", container.Image);
        Assert.Equal(["URL"], container.Environment.Keys);
        Assert.Equal("https://example.org/", container.Environment["URL"]);
    }

    [Fact]
    public void DotEnv_HasTheLowestPrecedence()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", """
                hosts:
                  h:
                    vars: { C: host }
                stacks:
                  app:
                    compose: app/compose.yaml
                    hosts: [h]
                    vars: { B: stack }
                """)
            .With("app/compose.yaml", "services:\n  web:\n    image: busybox\n    environment: { A: $A, B: $B, C: $C, D: $D }\n")
            .With("app/.env", "A=dotenv\nB=dotenv\nC=dotenv\nD=dotenv\n")
            .With(".env", "A=root\n");
        var options = new SpecLoadOptions { HostEnvironment = new Dictionary<string, string> { ["D"] = "local" } };

        var result = repository.LoadHost("h", options);

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var environment = result.State!.Stacks[0].Services[0].Container.Environment;
        Assert.Equal(("dotenv", "stack", "host", "local"), (environment["A"], environment["B"], environment["C"], environment["D"]));
    }

    [Fact]
    public void DotEnv_ABadLine_IsAnErrorAtItsLineAndColumn()
    {
        var errors = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox\n")
            .With(".env", "OK=1\nURL=https://${DOMAIN/\n  not a line\n")
            .LoadHost().Errors.Select(error => error.ToString());

        Assert.Equal(
            [
                ".env:2:13: URL: invalid interpolation: unexpected '/' after '${DOMAIN' (use :-, -, :?, ?, :+ or +)",
                ".env:3:3: invalid line in env file: expected KEY=VALUE with KEY of letters, digits, '_', '.', '-', not 'not a line'",
            ],
            errors);
    }

    [Fact]
    public void DotEnv_ValueBuiltFromAHostLocalSecret_StaysHidden()
    {
        var options = new SpecLoadOptions { HostEnvironment = new Dictionary<string, string> { ["PASSWORD"] = "hunter2-secret" } };

        var errors = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox\n    restart: $MODE\n")
            .With(".env", "MODE=x-${PASSWORD}\n")
            .LoadHost(options: options).Errors;

        var error = Assert.Single(errors);
        Assert.Equal(("compose.yaml", 5, 14), (error.File, error.Line, error.Column));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DotEnv_TooLarge_IsAnErrorAtTheFile()
    {
        var errors = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox\n")
            .With(".env", "A=" + new string('x', FileLimits.EnvFileBytes) + "\n")
            .LoadHost().Errors;

        var error = Assert.Single(errors);
        Assert.Equal((".env", 1, 1), (error.File, error.Line, error.Column));
        Assert.StartsWith("the project's .env is larger than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DotEnv_ProjectName_NamesABareComposeProjectAsCompose()
    {
        var result = SpecTestRepository.Compose("name: fromfile\nservices:\n  web:\n    image: busybox\n")
            .With(".env", "COMPOSE_PROJECT_NAME=fromenv\n")
            .LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        Assert.Equal("fromenv", result.State!.Stacks[0].Name);
    }

    [Fact]
    public void DotEnv_ProjectNameOtherThanTheInventorysStack_IsAnErrorAtItsLine()
    {
        var errors = new SpecTestRepository()
            .With("berth.yaml", "hosts:\n  h: {}\nstacks:\n  app:\n    compose: app/compose.yaml\n    hosts: [h]\n")
            .With("app/compose.yaml", "services:\n  web:\n    image: busybox\n")
            .With("app/.env", "TAG=1\n  export COMPOSE_PROJECT_NAME=other\n")
            .LoadHost("h").Errors.Select(error => error.ToString());

        Assert.Equal(
            ["app/.env:2:10: COMPOSE_PROJECT_NAME 'other' differs from the stack's name in berth.yaml, 'app', after which berth names its containers, networks and volumes; remove the line or make the names equal"],
            errors);
    }

    [Fact]
    public void DotEnv_Absent_ChangesNothing()
    {
        var errors = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox:${TAG}\n").LoadHost().Errors;

        var error = Assert.Single(errors);
        Assert.Contains("TAG", error.Message, StringComparison.Ordinal);
    }
}
