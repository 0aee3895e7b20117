using System.Text;
using Berth.Reconciler.Images;

namespace Berth.Tests.Images;

/// <summary>Which credential a host's Docker config.json gives for a registry, read from a real file each time.</summary>
public sealed class DockerConfigCredentialsTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("berth-docker-config-").FullName;

    private string ConfigPath => Path.Combine(directory, "config.json");

    private DockerConfigCredentials Credentials => new(ConfigPath, TimeProvider.System);

    private static string Basic(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task Auths_BasicEntry_GivesUserAndPassword()
    {
        File.WriteAllText(ConfigPath, $$"""{ "auths": { "registry.example.com": { "auth": "{{Basic("deployer", "pa:ss")}}" } } }""");

        var credential = await Credentials.ForAsync(RegistryReference.Parse("registry.example.com/web:1"), CancellationToken.None);

        Assert.Equal(new RegistryCredential("deployer", "pa:ss", null), credential);
        Assert.DoesNotContain("pa:ss", credential!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Auths_DockerHubKeyWithSchemeAndPath_MatchesAnImageWithoutRegistry()
    {
        File.WriteAllText(ConfigPath, $$"""{ "auths": { "https://index.docker.io/v1/": { "auth": "{{Basic("hubuser", "token")}}" } } }""");

        var credential = await Credentials.ForAsync(RegistryReference.Parse("team/web:1"), CancellationToken.None);

        Assert.Equal("hubuser", credential!.Username);
    }

    [Fact]
    public async Task Auths_IdentityToken_IsKept()
    {
        File.WriteAllText(ConfigPath, """{ "auths": { "registry.example.com": { "identitytoken": "refresh-123" } } }""");

        var credential = await Credentials.ForAsync(RegistryReference.Parse("registry.example.com/web:1"), CancellationToken.None);

        Assert.Equal(new RegistryCredential(null, null, "refresh-123"), credential);
    }

    [Fact]
    public async Task OtherRegistryOrNoFile_GivesNoCredential()
    {
        Assert.Null(await Credentials.ForAsync(RegistryReference.Parse("registry.example.com/web:1"), CancellationToken.None));
        File.WriteAllText(ConfigPath, $$"""{ "auths": { "other.example.com": { "auth": "{{Basic("a", "b")}}" } } }""");
        Assert.Null(await Credentials.ForAsync(RegistryReference.Parse("registry.example.com/web:1"), CancellationToken.None));
    }

    [Fact]
    public async Task RotatedFile_IsReadAgainOnTheNextCall()
    {
        File.WriteAllText(ConfigPath, $$"""{ "auths": { "registry.example.com": { "auth": "{{Basic("deployer", "old")}}" } } }""");
        var reference = RegistryReference.Parse("registry.example.com/web:1");
        Assert.Equal("old", (await Credentials.ForAsync(reference, CancellationToken.None))!.Password);

        File.WriteAllText(ConfigPath, $$"""{ "auths": { "registry.example.com": { "auth": "{{Basic("deployer", "new")}}" } } }""");

        Assert.Equal("new", (await Credentials.ForAsync(reference, CancellationToken.None))!.Password);
    }

    [Fact]
    public async Task CredHelperThatCannotRun_FailsNamingTheHelper()
    {
        File.WriteAllText(ConfigPath, """{ "credHelpers": { "registry.example.com": "berth-test-absent" }, "auths": { "registry.example.com": {} } }""");

        var error = await Assert.ThrowsAsync<RegistryCredentialException>(() => Credentials.ForAsync(RegistryReference.Parse("registry.example.com/web:1"), CancellationToken.None));

        Assert.Contains("docker-credential-berth-test-absent", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidJson_FailsWithThePathAndNoContent()
    {
        File.WriteAllText(ConfigPath, """{ "auths": { "registry.example.com": { "auth": "c2VjcmV0" """);

        var error = await Assert.ThrowsAsync<RegistryCredentialException>(() => Credentials.ForAsync(RegistryReference.Parse("registry.example.com/web:1"), CancellationToken.None));

        Assert.StartsWith($"{ConfigPath}: not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task CredHelpers_RealHelperProcess_GivesItsCredentialForTheServerOnStdin()
    {
        // A real docker-credential-* executable: it echoes the server it was asked for, so the test sees what berth sent on stdin.
        var helperDirectory = Path.Combine(directory, "helpers");
        Directory.CreateDirectory(helperDirectory);
        var helper = Path.Combine(helperDirectory, "docker-credential-berthtest");
        File.WriteAllText(helper, """
            #!/bin/sh
            [ "$1" = get ] || { echo "unexpected action $1" >&2; exit 2; }
            read -r server
            printf '{"ServerURL":"%s","Username":"helper-user@%s","Secret":"helper-secret"}\n' "$server" "$server"
            """.Replace("\r", ""));
        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(ConfigPath, """{ "credHelpers": { "registry.example.com": "berthtest" } }""");
        var credentials = new DockerConfigCredentials(ConfigPath, TimeProvider.System) { HelperDirectory = helperDirectory };

        var credential = await credentials.ForAsync(RegistryReference.Parse("registry.example.com/web:1"), CancellationToken.None);

        Assert.Equal(new RegistryCredential("helper-user@registry.example.com", "helper-secret", null), credential);
    }
}
