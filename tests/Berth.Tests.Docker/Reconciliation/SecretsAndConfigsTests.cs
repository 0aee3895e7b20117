using System.Text;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Secrets.Files;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Infrastructure;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// Compose `secrets:` and `configs:` on the real engine: files on a tmpfs (the host's /dev/shm here),
/// bound read-only where Compose puts them; a changed content rolls the service through its health
/// gate; the files go with the last container that uses them; the value is in no output.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SecretsAndConfigsTests : IAsyncLifetime
{
    private const string FirstPassword = "first-Pa55word-value";
    private const string SecondPassword = "second-Pa55word-value";

    private readonly string filesRoot = Path.Combine("/dev/shm", "berth-test-files-" + Guid.NewGuid().ToString("N"));
    private readonly string hostSecrets = Directory.CreateTempSubdirectory("berth-host-secrets-").FullName;
    private readonly FileSourceOptions sources = new(FileSourceOptions.DefaultHostDirectory, ContentKeyring.Ephemeral());
    private readonly MountedFileStore store;
    private readonly ReconcileHarness harness;
    private readonly TestRepository repository;

    public SecretsAndConfigsTests()
    {
        store = MountedFileStore.Open(filesRoot);
        harness = new ReconcileHarness(store);
        repository = TestRepository.Empty(harness.Host);
        sources = sources with { HostDirectory = hostSecrets };
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>
    /// xunit v2 calls a test class's IAsyncLifetime.DisposeAsync, never IAsyncDisposable's: as an IAsyncDisposable
    /// this class left every test's containers behind (found 2026-12-05, five `app` and `other` replicas).
    /// </summary>
    public async Task DisposeAsync()
    {
        await harness.DisposeAsync();
        repository.Dispose();
        Directory.Delete(hostSecrets, recursive: true);
        if (Directory.Exists(filesRoot))
        {
            Directory.Delete(filesRoot, recursive: true);
        }
    }

    private const string Compose = """
        services:
          app:
            image: berth-test/busybox:1
            command: ["sleep", "3600"]
            init: true
            secrets:
              - db_password
            configs:
              - source: app_conf
                target: /etc/app.conf
                mode: 0444
            healthcheck:
              test: ["CMD-SHELL", "cat /run/secrets/db_password /etc/app.conf > /dev/null"]
              interval: 500ms
              retries: 3
            deploy:
              update_config: { order: stop-first, monitor: 500ms }
        secrets:
          db_password:
            file: ./db_password.txt
        configs:
          app_conf:
            content: "listen 8080"
        """;

    private const string ComposeWithoutSecrets = """
        services:
          other:
            image: berth-test/busybox:1
            command: ["sleep", "3600"]
            init: true
        """;

    private DesiredState Load(string compose, string password)
    {
        var stack = harness.StackName;
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{}}\nstacks:\n  {stack}:\n    compose: stacks/{stack}/compose.yaml\n    hosts: [{harness.Host}]\n");
        repository.Write($"stacks/{stack}/compose.yaml", $"name: {stack}\n" + compose);
        repository.Write($"stacks/{stack}/db_password.txt", password);
        var loaded = SpecLoader.LoadHost(repository.Directory, harness.Host, new SpecLoadOptions { FileSources = sources });
        Assert.True(loaded.Errors.IsEmpty, string.Join("\n", loaded.Errors));
        return loaded.State!;
    }

    private string AppName => $"{harness.StackName}-app-1";

    [Fact]
    public async Task Apply_SecretAndConfig_AreBoundReadOnlyAtComposePathsFromAnOwnerOnlyTmpfsDirectory()
    {
        await harness.ApplyConvergedAsync(Load(Compose, FirstPassword));

        Assert.Equal(FirstPassword, await harness.ExecAsync(AppName, "cat", "/run/secrets/db_password"));
        Assert.Equal("listen 8080", await harness.ExecAsync(AppName, "cat", "/etc/app.conf"));
        Assert.Equal("refused", (await harness.ExecAsync(AppName, "sh", "-c", "echo x 2>/dev/null > /run/secrets/db_password && echo written || echo refused")).Trim());

        var inspected = await harness.InspectAsync(AppName);
        var secretMount = Assert.Single(inspected.Mounts, mount => mount.Destination == "/run/secrets/db_password");
        var configMount = Assert.Single(inspected.Mounts, mount => mount.Destination == "/etc/app.conf");
        Assert.False(secretMount.RW);
        Assert.False(configMount.RW);
        Assert.StartsWith(filesRoot + "/", secretMount.Source, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(secretMount.Source));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(configMount.Source));
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(ownerOnly, File.GetUnixFileMode(filesRoot));
        Assert.Equal(ownerOnly, File.GetUnixFileMode(Path.GetDirectoryName(secretMount.Source)!));
        Assert.Equal("tmpfs", MountedFileStore.FileSystemTypeOf(secretMount.Source));
    }

    [Fact]
    public async Task Apply_ChangedSecretFile_RollsTheServiceTheNewContainerSeesTheNewContent_AndTheValueIsInNoOutput()
    {
        var first = await harness.ApplyConvergedAsync(Load(Compose, FirstPassword));
        var before = await harness.InspectAsync(AppName);
        var oldSource = Assert.Single(before.Mounts, mount => mount.Destination == "/run/secrets/db_password").Source;
        var next = Load(Compose, SecondPassword);

        var plan = await harness.PlanAsync(next);
        var step = Assert.Single(plan.Steps.OfType<ReplaceContainerStep>());
        Assert.Contains("secrets", plan.ToString(), StringComparison.Ordinal);
        var applied = await harness.ApplyConvergedAsync(next);

        var after = await harness.InspectAsync(AppName);
        Assert.NotEqual(before.ID, after.ID);
        Assert.Equal(SecondPassword, await harness.ExecAsync(AppName, "cat", "/run/secrets/db_password"));
        // Through the health gate, as any change: the new container is healthy (its check reads the secret).
        Assert.Equal("healthy", after.State.Health.Status);
        Assert.Contains(harness.Progress, progress => progress.Message == $"replaced {AppName}");
        // The old generation went with the old container.
        Assert.False(File.Exists(oldSource));
        Assert.Single(Directory.EnumerateDirectories(Path.GetDirectoryName(Path.GetDirectoryName(oldSource)!)!));

        var stateFile = await File.ReadAllTextAsync(harness.StateStore.PathFor(harness.Host));
        var outputs = new[]
        {
            first.Plan.ToString(), plan.ToString(), applied.Plan.ToString(), applied.Summary, step.ToString()!,
            string.Join("\n", harness.Progress.Select(progress => progress.Message)), stateFile,
        };
        foreach (var output in outputs)
        {
            Assert.DoesNotContain(FirstPassword, output, StringComparison.Ordinal);
            Assert.DoesNotContain(SecondPassword, output, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(SecondPassword)), output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Apply_ServiceRemoved_ItsSecretFilesAreRemovedWithItsContainer()
    {
        // Another service stays: a desired state that removes everything is refused (allow_empty_state).
        await harness.ApplyConvergedAsync(Load(Compose.Replace("services:\n", ComposeWithoutSecrets + "\n", StringComparison.Ordinal), FirstPassword));
        var source = Assert.Single((await harness.InspectAsync(AppName)).Mounts, mount => mount.Destination == "/run/secrets/db_password").Source;
        Assert.True(File.Exists(source));

        await harness.ApplyConvergedAsync(Load(ComposeWithoutSecrets, FirstPassword));

        Assert.DoesNotContain(AppName, await harness.ManagedContainerNamesAsync());
        Assert.False(File.Exists(source));
        Assert.Empty(Directory.EnumerateFileSystemEntries(filesRoot));
    }

    [Fact]
    public async Task Load_HostFileOutsideTheAllowedDirectory_IsRefusedAndNothingIsCreated()
    {
        var stack = harness.StackName;
        repository.Write("berth.yaml", $"hosts:\n  {harness.Host}: {{}}\nstacks:\n  {stack}:\n    compose: stacks/{stack}/compose.yaml\n    hosts: [{harness.Host}]\n");
        repository.Write($"stacks/{stack}/compose.yaml",
            $"name: {stack}\nservices:\n  app:\n    image: berth-test/busybox:1\n    secrets: [shadow]\nsecrets:\n  shadow:\n    file: /etc/shadow\n");

        var loaded = SpecLoader.LoadHost(repository.Directory, harness.Host, new SpecLoadOptions { FileSources = sources });

        var error = Assert.Single(loaded.Errors);
        Assert.Null(loaded.State);
        Assert.Contains($"host file '/etc/shadow' is outside the host's secrets directory '{hostSecrets}'", error.Message, StringComparison.Ordinal);
        Assert.Empty(await harness.ManagedContainerNamesAsync());
    }

    [Fact]
    public async Task Apply_HostFileUnderTheAllowedDirectory_IsMounted()
    {
        await File.WriteAllTextAsync(Path.Combine(hostSecrets, "api.key"), "host-api-key");
        var compose = Compose.Replace("file: ./db_password.txt", $"file: {hostSecrets}/api.key", StringComparison.Ordinal);

        await harness.ApplyConvergedAsync(Load(compose, FirstPassword));

        Assert.Equal("host-api-key", await harness.ExecAsync(AppName, "cat", "/run/secrets/db_password"));
    }

    [Fact]
    public async Task Apply_AfterTheTmpfsWasEmptied_AStoppedContainerGetsItsFilesBackAndStarts()
    {
        var desired = Load(Compose, FirstPassword);
        await harness.ApplyConvergedAsync(desired);
        var before = await harness.InspectAsync(AppName);
        await harness.Client.Containers.StopContainerAsync(before.ID, new Docker.DotNet.Models.ContainerStopParameters { WaitBeforeKillSeconds = 1 });
        // What a reboot does: the tmpfs comes back empty, the container stays.
        Directory.Delete(Path.Combine(filesRoot, harness.Host), recursive: true);

        await harness.ApplyConvergedAsync(desired);

        var after = await harness.InspectAsync(AppName);
        Assert.Equal(before.ID, after.ID);
        Assert.True(after.State.Running);
        Assert.Equal(FirstPassword, await harness.ExecAsync(AppName, "cat", "/run/secrets/db_password"));
    }
}
