using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec;

/// <summary>
/// Size limits on every file the loader reads, checked on real (sparse) files: a file over its limit
/// is refused from its length before it is read, so a 1 GiB file costs nothing (it once threw an
/// unhandled OutOfMemoryException).
/// </summary>
public sealed class RepositoryFilesTests : IDisposable
{
    private const long OneGibibyte = 1024L * 1024 * 1024;

    private readonly string repository = Directory.CreateTempSubdirectory("berth-repo-").FullName;

    public void Dispose() => Directory.Delete(repository, recursive: true);

    [Fact]
    public void LoadHost_ComposeFileOf1GiB_IsRefusedBeforeItIsRead()
    {
        Sparse("compose.yaml", OneGibibyte);

        var result = SpecLoader.LoadHost(repository, "h");

        Assert.Equal(["compose.yaml:1:1: Compose file is larger than the 4 MiB limit (1073741824 bytes)"], result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void LoadHost_InventoryOf1GiB_IsRefusedBeforeItIsRead()
    {
        Sparse("berth.yaml", OneGibibyte);

        var result = SpecLoader.LoadInventory(repository);

        Assert.Equal(["berth.yaml:1:1: inventory file is larger than the 4 MiB limit (1073741824 bytes)"], result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void LoadHost_EnvFileOverOneMebibyte_IsAnErrorAtTheReferenceNamingTheFile()
    {
        File.WriteAllText(Path.Combine(repository, "compose.yaml"), "services:\n  web:\n    image: busybox\n    env_file: [small.env, conf/big.env]\n");
        File.WriteAllText(Path.Combine(repository, "small.env"), "A=1\n");
        Directory.CreateDirectory(Path.Combine(repository, "conf"));
        Sparse("conf/big.env", 8L * 1024 * 1024);

        var result = SpecLoader.LoadHost(repository, "h");

        Assert.Equal(
            ["compose.yaml:4:27: services.web.env_file: 'conf/big.env' is larger than the 1 MiB limit for an env file (8388608 bytes)"],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void LoadHost_EnvFileOfExactlyOneMebibyte_IsRead()
    {
        File.WriteAllText(Path.Combine(repository, "compose.yaml"), "services:\n  web:\n    image: busybox\n    env_file: big.env\n");
        var line = "A=" + new string('x', 1024 * 1024 - 3) + "\n";
        File.WriteAllText(Path.Combine(repository, "big.env"), line);

        var result = SpecLoader.LoadHost(repository, "h");

        Assert.Empty(result.Errors);
        Assert.Equal(1024 * 1024 - 3, result.State!.Stacks[0].Services[0].Container.Environment["A"].Length);
    }

    [Fact]
    public void LoadHost_HostEnvFileOverOneMebibyte_IsRefusedBeforeItIsRead()
    {
        File.WriteAllText(Path.Combine(repository, "compose.yaml"), "services:\n  web: { image: busybox }\n");
        var hostEnvFile = Path.Combine(repository, "host.env");
        Sparse("host.env", OneGibibyte);

        var result = SpecLoader.LoadHost(repository, "h", new SpecLoadOptions { HostEnvFiles = [hostEnvFile] });

        Assert.Equal(
            [$"{hostEnvFile}:1:1: host env file is larger than the 1 MiB limit for an env file (1073741824 bytes)"],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void LoadHost_HostEnvFileWithoutALength_IsReadOnlyUpToTheLimit()
    {
        // A device (or pipe) reports no length: the read stops one byte past the limit instead.
        File.WriteAllText(Path.Combine(repository, "compose.yaml"), "services:\n  web: { image: busybox }\n");

        var result = SpecLoader.LoadHost(repository, "h", new SpecLoadOptions { HostEnvFiles = ["/dev/zero"] });

        Assert.Equal(["/dev/zero:1:1: host env file is larger than the 1 MiB limit for an env file"], result.Errors.Select(error => error.ToString()));
    }

    private void Sparse(string relativePath, long length)
    {
        using var stream = new FileStream(Path.Combine(repository, relativePath), FileMode.CreateNew);
        stream.SetLength(length);
    }
}
