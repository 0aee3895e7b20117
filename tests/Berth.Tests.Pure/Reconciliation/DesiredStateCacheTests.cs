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
    public void HostEnvFileMissing_IsAnErrorUntilItAppears()
    {
        var missing = Path.Combine(root, "later.env");
        var options = Options(hostEnvFiles: [hostEnvFile, missing]);
        Assert.NotEmpty(Load(options: options).Errors);
        Assert.NotEmpty(Load(options: options).Errors);
        Assert.Equal(1, cache.Loaded);

        File.WriteAllText(missing, "TOKEN=later\n");

        Assert.Equal("later", Web(Load(options: options)).Container.Environment["TOKEN"]);
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
    public void OutsideARecording_NothingIsKept()
    {
        var (_, inputs) = HostInputs.Record(() => 0);
        repository.LoadHost("host1", Options());

        Assert.Equal(0, inputs.Count);
    }
}
