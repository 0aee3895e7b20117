using Berth.Daemon.Cli;
using Berth.Tests.Spec;

namespace Berth.Tests.Cli;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-validate-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => Shared.CliRunner.RunAsync(args);

    [Fact]
    public async Task Validate_ExamplesRepo_PrintsOneLinePerHost()
    {
        var (exitCode, stdout, stderr) = await RunAsync("validate", "--repo", Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo"));

        Assert.Equal("", stderr);
        Assert.Equal(0, exitCode);
        Assert.Equal(
            ["host demo: 1 stack (shop), 3 services, 4 replicas", "host web-2: 1 stack (shop), 3 services, 4 replicas"],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Validate_HostNotInInventory_SaysItRunsNothing()
    {
        var (exitCode, stdout, _) = await RunAsync("validate", "--repo", Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo"), "--host", "stranger");

        Assert.Equal(0, exitCode);
        Assert.Equal("host stranger: not in the inventory, runs nothing", stdout.Trim());
    }

    [Fact]
    public async Task Validate_Errors_PrintsEachOnceWithACountAndExitsOne()
    {
        File.WriteAllText(Path.Combine(directory, "berth.yaml"), "hosts: { a: {}, b: {} }\nstacks:\n  s: { compose: s.yaml, hosts: { selector: {} } }\n");
        File.WriteAllText(Path.Combine(directory, "s.yaml"), "services:\n  web:\n    image: busybox\n    helthcheck: {}\n    ports: [\"8080:80\", \"x\"]\n");

        var (exitCode, stdout, stderr) = await RunAsync("validate", "--repo", directory);

        Assert.Equal(1, exitCode);
        Assert.Equal("", stdout);
        Assert.Equal(
            [
                "s.yaml:4:5: unknown key 'helthcheck' in services.web, did you mean 'healthcheck'?",
                "s.yaml:5:24: services.web.ports: invalid port 'x': target port must be a port (1-65535) or a range like 8000-8005",
                "2 errors",
            ],
            stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Validate_ErrorOnSomeHostsOnly_NamesThoseHosts()
    {
        File.WriteAllText(Path.Combine(directory, "berth.yaml"), "hosts:\n  a: { vars: { TAG: '1' } }\n  b: {}\n  c: {}\nstacks:\n  s: { compose: s.yaml, hosts: [a, b, c] }\n");
        File.WriteAllText(Path.Combine(directory, "s.yaml"), "services:\n  web:\n    image: \"busybox:${TAG}\"\n");

        var (exitCode, _, stderr) = await RunAsync("validate", "--repo", directory);

        Assert.Equal(1, exitCode);
        Assert.Equal(
            [
                "s.yaml:3:12: variable TAG is not defined (set it in the host's or stack's vars, or give a default: ${TAG:-value}) (on host b, c)",
                "1 error",
            ],
            stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Validate_HostEnvFile_SuppliesSecretsWithoutPrintingThem()
    {
        File.WriteAllText(Path.Combine(directory, "compose.yaml"), "name: solo\nservices:\n  web:\n    image: busybox\n    environment: { PASSWORD: $DB_PASSWORD }\n    init: $DB_PASSWORD\n");
        var envFile = Path.Combine(directory, "host.env");
        File.WriteAllText(envFile, "DB_PASSWORD=hunter2-but-longer\n");

        var (exitCode, stdout, stderr) = await RunAsync("validate", "--repo", directory, "--host", "h", "--host-env-file", envFile);

        Assert.Equal(1, exitCode);
        Assert.DoesNotContain("hunter2", stdout + stderr, StringComparison.Ordinal);
        Assert.Contains("compose.yaml:6:11: services.web.init must be true or false, not (value hidden: it contains host-local variable DB_PASSWORD)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_BareComposeProject_ValidatesForEveryHost()
    {
        File.WriteAllText(Path.Combine(directory, "compose.yaml"), "name: solo\nservices:\n  web: { image: busybox, deploy: { replicas: 2 } }\n");

        var (exitCode, stdout, _) = await RunAsync("validate", "--repo", directory);

        Assert.Equal(0, exitCode);
        Assert.Equal("every host (no berth.yaml): 1 stack (solo), 1 service, 2 replicas", stdout.Trim());
    }

    [Fact]
    public async Task Validate_MissingRepo_IsAnError()
    {
        var (exitCode, _, stderr) = await RunAsync("validate", "--repo", Path.Combine(directory, "nope"));

        Assert.Equal(1, exitCode);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SymbolicLinkOutOfTheRepository_IsAnErrorNamingTheFile()
    {
        var outside = Path.Combine(directory, "outside.env");
        File.WriteAllText(outside, "SECRET=x\n");
        Directory.CreateDirectory(Path.Combine(directory, "repo"));
        File.WriteAllText(Path.Combine(directory, "repo", "compose.yaml"), "name: solo\nservices:\n  web:\n    image: busybox\n    env_file: web.env\n");
        File.CreateSymbolicLink(Path.Combine(directory, "repo", "web.env"), outside);

        var (exitCode, _, stderr) = await RunAsync("validate", "--repo", Path.Combine(directory, "repo"));

        Assert.Equal(1, exitCode);
        Assert.StartsWith("web.env:1:1: is a symbolic link that leads out of the repository", stderr, StringComparison.Ordinal);
    }
}
