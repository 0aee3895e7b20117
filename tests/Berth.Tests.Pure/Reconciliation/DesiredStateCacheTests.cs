using Berth.Reconciler.Policy;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Secrets.Files;
using Berth.Reconciler.Secrets.Sops;
using Berth.Reconciler.Spec;
using Berth.Tests.Shared;
using Berth.Tests.Spec;

namespace Berth.Tests.Reconciliation;

/// <summary>
/// The daemon's kept load: an unchanged tip with unchanged host inputs is not loaded again, and every host
/// input a load reads (host env file, secret file and the links to it, a link a bind mount follows, the
/// content key, the age key) makes the next pass load again when it changes, with no commit. Real files
/// and links in a scratch directory; the repository in memory (its tree is fixed per commit).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DesiredStateCacheTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("berth-desired-cache-").FullName;
    private readonly string hostEnvFile;
    private readonly string secrets;
    private readonly string allowed;
    private readonly string stateDirectory;
    private readonly DesiredStateCache cache = new();
    private readonly SpecTestRepository repository;

    public DesiredStateCacheTests()
    {
        hostEnvFile = Path.Combine(root, "host.env");
        File.WriteAllText(hostEnvFile, "TOKEN=first\n");
        secrets = Directory.CreateDirectory(Path.Combine(root, "secrets")).FullName;
        File.WriteAllText(Path.Combine(secrets, "api.key"), "key-1");
        allowed = Directory.CreateDirectory(Path.Combine(root, "allowed")).FullName;
        Directory.CreateDirectory(Path.Combine(allowed, "real"));
        Directory.CreateSymbolicLink(Path.Combine(allowed, "data"), Path.Combine(allowed, "real"));
        stateDirectory = Directory.CreateDirectory(Path.Combine(root, "state")).FullName;
        repository = SpecTestRepository.Compose($$"""
            name: app
            services:
              web:
                image: busybox:1
                environment:
                  TOKEN: ${TOKEN}
                secrets: [api]
                volumes:
                  - "{{allowed}}/data:/data"
            secrets:
              api:
                file: {{secrets}}/api.key
            """);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>What the daemon passes on every pass: new instances of the same options (GitOpsPass.LoadOptions).</summary>
    private SpecLoadOptions Options(IReadOnlyList<string>? hostEnvFiles = null) => new()
    {
        HostEnvFiles = hostEnvFiles ?? [hostEnvFile],
        FileSources = new FileSourceOptions(secrets, ContentKeyring.LoadOrCreate(stateDirectory)),
        Policy = HostPolicy.Restrictive with { BindMounts = [allowed] },
    };

    private HostLoadResult Load(string commit = "c1", SpecLoadOptions? options = null)
    {
        options ??= Options();
        return cache.Load(commit, "/state/trees/c1", "/state/repo", "host1", options, () => repository.LoadHost("host1", options));
    }

    private static Reconciler.Spec.Model.ServiceSpec Web(HostLoadResult result)
    {
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        return Assert.Single(Assert.Single(result.State!.Stacks).Services);
    }

    [Fact]
    public void SameCommit_NothingChanged_TheKeptResultAnswers()
    {
        var first = Load();
        var second = Load();

        Assert.Same(first, second);
        Assert.Equal((1, 1), (cache.Loaded, cache.Reused));
        Assert.Equal("first", Web(second).Container.Environment["TOKEN"]);
    }

    [Fact]
    public void HostEnvFileRewritten_SameLengthAndTime_LoadsAgainWithTheNewValue()
    {
        var first = Load();
        var written = File.GetLastWriteTimeUtc(hostEnvFile);
        File.WriteAllText(hostEnvFile, "TOKEN=other\n");
        File.SetLastWriteTimeUtc(hostEnvFile, written);

        var second = Load();

        Assert.NotSame(first, second);
        Assert.Equal("other", Web(second).Container.Environment["TOKEN"]);
        Assert.Same(second, Load());
    }

    [Fact]
    public void SecretFileChanged_LoadsAgain_AndTheServiceHashesDiffer()
    {
        var first = Load();
        File.WriteAllText(Path.Combine(secrets, "api.key"), "key-2");

        var second = Load();

        Assert.NotSame(first, second);
        Assert.NotEqual(Web(first).ConfigHash, Web(second).ConfigHash);
    }

    [Fact]
    public void SecretBehindASwappedLink_LoadsAgain()
    {
        // How Kubernetes-style tooling rotates a mounted secret: the file is a link through `..data`, which is
        // swapped to a new directory; the file's own path and link never change.
        var versions = Directory.CreateDirectory(Path.Combine(secrets, "v1")).FullName;
        File.WriteAllText(Path.Combine(versions, "api.key"), "linked-1");
        var v2 = Directory.CreateDirectory(Path.Combine(secrets, "v2")).FullName;
        File.WriteAllText(Path.Combine(v2, "api.key"), "linked-2");
        Directory.CreateSymbolicLink(Path.Combine(secrets, "..data"), "v1");
        File.Delete(Path.Combine(secrets, "api.key"));
        File.CreateSymbolicLink(Path.Combine(secrets, "api.key"), "..data/api.key");
        var first = Load();

        Directory.CreateSymbolicLink(Path.Combine(secrets, "..data.new"), "v2");
        // rename(2) over the old link, as the tooling does (File.Move refuses a link to a directory).
        using (var rename = System.Diagnostics.Process.Start("mv", ["-T", Path.Combine(secrets, "..data.new"), Path.Combine(secrets, "..data")]))
        {
            rename.WaitForExit();
            Assert.Equal(0, rename.ExitCode);
        }

        var second = Load();

        Assert.NotSame(first, second);
        Assert.NotEqual(Web(first).ConfigHash, Web(second).ConfigHash);
    }

    [Fact]
    public void BindMountLinkRetargetedOutsideTheAllowedPaths_LoadsAgain_AndThePolicyRefusesIt()
    {
        Web(Load());
        Directory.Delete(Path.Combine(allowed, "data"));
        Directory.CreateSymbolicLink(Path.Combine(allowed, "data"), "/etc");

        var error = Assert.Single(Load().Errors);

        Assert.Contains("which leads to /etc, is outside the host paths this host allows", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ContentKeyRemoved_LoadsAgain_WithTheNewKey()
    {
        var first = Load();
        File.Delete(Path.Combine(stateDirectory, ContentKeyring.KeyFileName));

        var second = Load();

        Assert.NotSame(first, second);
        Assert.NotEqual(Web(first).ConfigHash, Web(second).ConfigHash);
        Assert.True(File.Exists(Path.Combine(stateDirectory, ContentKeyring.KeyFileName)));
    }

    [Fact]
    public void AnotherCommitOrOtherOptions_LoadAgain()
    {
        var first = Load();

        Assert.NotSame(first, Load(commit: "c2"));
        Assert.NotSame(Load(commit: "c2"), Load(commit: "c2", options: Options(hostEnvFiles: [hostEnvFile, hostEnvFile])));
        Assert.Equal(3, cache.Loaded);
    }

    [Fact]
    public void ALoadWithErrors_IsNotKept_AndTheNextPassLoadsAgain()
    {
        // An error may come from the host and pass by itself without any input changing (age installed
        // meanwhile, a read that failed midway): a failed load is never the answer to the next pass.
        var missing = Path.Combine(root, "later.env");
        var options = Options(hostEnvFiles: [hostEnvFile, missing]);
        Assert.NotEmpty(Load(options: options).Errors);
        Assert.NotEmpty(Load(options: options).Errors);
        Assert.Equal((2, 0), (cache.Loaded, cache.Reused));

        File.WriteAllText(missing, "TOKEN=later\n");

        Assert.Equal("later", Web(Load(options: options)).Container.Environment["TOKEN"]);
    }

    [Fact]
    public void HostSecretFileMissingThenPresent_LoadsIt()
    {
        var later = Path.Combine(secrets, "later.key");
        var withLater = SpecTestRepository.Compose($$"""
            name: app
            services:
              web:
                image: busybox:1
                secrets: [later]
            secrets:
              later:
                file: {{later}}
            """);
        var options = Options();
        HostLoadResult LoadLater() => cache.Load("c1", "/state/trees/c1", "/state/repo", "host1", options, () => withLater.LoadHost("host1", options));
        Assert.Contains("does not exist", Assert.Single(LoadLater().Errors).ToString(), StringComparison.Ordinal);

        File.WriteAllText(later, "now here");
        var loaded = LoadLater();

        Assert.True(loaded.Errors.IsEmpty);
        Assert.Same(loaded, LoadLater());
    }

    [Fact]
    public void SecretFileOutsideTheSecretsDirectory_IsNeverOpened_NotEvenToBeRecorded()
    {
        // A FIFO: opening it for reading blocks until a writer comes. A commit naming one outside the
        // secrets directory must get its error at once, with nothing recorded that opens it on later passes.
        var outside = Path.Combine(root, "outside.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [outside]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var hostile = SpecTestRepository.Compose($$"""
            name: app
            services:
              web:
                image: busybox:1
                secrets: [fifo]
            secrets:
              fifo:
                file: {{outside}}
            """);
        var options = Options();
        var (result, inputs) = HostInputs.Record(() => hostile.LoadHost("host1", options));

        Assert.Contains("is outside the host's secrets directory", Assert.Single(result.Errors).ToString(), StringComparison.Ordinal);
        Assert.True(inputs.Unchanged());
    }

    [Fact]
    public void AgeKey_IsRecordedByItsFile_ReplacedOrMadeReadableToOthers_IsAChange()
    {
        var (keyFile, _) = SopsTestFiles.NewAgeKey(root, "host.key");
        var (_, inputs) = HostInputs.Record(() => new AgeKeyFile(keyFile).Recipients());
        Assert.Equal(1, inputs.Count);
        Assert.True(inputs.Unchanged());

        File.SetUnixFileMode(keyFile, File.GetUnixFileMode(keyFile) | UnixFileMode.OtherRead);
        Assert.False(inputs.Unchanged());

        var (replacement, _) = SopsTestFiles.NewAgeKey(root, "next.key");
        var (_, again) = HostInputs.Record(() => new AgeKeyFile(keyFile).Recipients());
        File.Move(replacement, keyFile, overwrite: true);
        Assert.False(again.Unchanged());
    }

    [Fact]
    public void TheCommitsOwnFiles_AreNotHostInputs()
    {
        // The tree is fixed while the commit is (the cache keys on it): reading it records nothing, so an
        // idle pass checks only the few host files, not every file of the repository.
        var tree = Directory.CreateDirectory(Path.Combine(root, "tree")).FullName;
        File.WriteAllText(Path.Combine(tree, "compose.yaml"), "name: app\nservices:\n  web:\n    image: busybox:1\n    env_file: web.env\n");
        File.WriteAllText(Path.Combine(tree, "web.env"), "A=1\n");

        var (result, inputs) = HostInputs.Record(() => SpecLoader.LoadHost(tree, "host1"));

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        Assert.Equal(0, inputs.Count);
    }

    [Fact]
    public void OutsideARecording_NothingIsKept()
    {
        var (_, inputs) = HostInputs.Record(() => 0);
        repository.LoadHost("host1", Options());

        Assert.Equal(0, inputs.Count);
    }
}
