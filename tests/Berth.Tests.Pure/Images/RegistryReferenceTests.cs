using Berth.Reconciler.Images;

namespace Berth.Tests.Images;

public sealed class RegistryReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", "latest", null)]
    [InlineData("nginx:1.27", "docker.io", "library/nginx", "1.27", null)]
    [InlineData("team/web:stable", "docker.io", "team/web", "stable", null)]
    [InlineData("ghcr.io/team/web:1", "ghcr.io", "team/web", "1", null)]
    [InlineData("127.0.0.1:5000/team/web", "127.0.0.1:5000", "team/web", "latest", null)]
    [InlineData("localhost/web:2", "localhost", "web", "2", null)]
    [InlineData("registry.example.com/web@sha256:abc", "registry.example.com", "web", null, "sha256:abc")]
    [InlineData("docker.io/nginx:1.27", "docker.io", "library/nginx", "1.27", null)]
    [InlineData("index.docker.io/team/web", "docker.io", "team/web", "latest", null)]
    [InlineData("Registry-1.Docker.io/library/nginx", "docker.io", "library/nginx", "latest", null)]
    [InlineData("127.0.0.1:5000/team/web:1@sha256:abc", "127.0.0.1:5000", "team/web", "1", "sha256:abc")]
    public void Parse_NormalisesAsTheDockerCli(string reference, string registry, string repository, string? tag, string? digest)
    {
        var parsed = RegistryReference.Parse(reference);

        Assert.Equal((registry, repository, tag, digest), (parsed.Registry, parsed.Repository, parsed.Tag, parsed.Digest));
        Assert.Equal(digest is not null, parsed.IsPinned);
    }

    [Theory]
    [InlineData("nginx", null, "nginx", "docker.io/library/nginx")]
    [InlineData("nginx:1.27", "1.27", "nginx", "docker.io/library/nginx")]
    [InlineData("Registry.Example.com:5000/team/web:1@sha256:abc", "1", "Registry.Example.com:5000/team/web", "registry.example.com:5000/team/web")]
    [InlineData("localhost/web@sha256:abc", null, "localhost/web", "localhost/web")]
    public void Parse_KeepsWhatWasWrittenBesideTheNormalisedName(string reference, string? writtenTag, string name, string qualifiedRepository)
    {
        var parsed = RegistryReference.Parse(reference);

        Assert.Equal((writtenTag, name, qualifiedRepository), (parsed.WrittenTag, parsed.Name, parsed.QualifiedRepository));
    }

    [Fact]
    public void DockerHub_HasItsOwnApiHostAndCredentialKey()
    {
        var hub = RegistryReference.Parse("nginx");

        Assert.Equal(("registry-1.docker.io", "https://index.docker.io/v1/"), (hub.ApiHost, hub.CredentialKey));
        Assert.True(hub.SameRepository("docker.io/library/nginx"));
    }

    [Fact]
    public void ShortDigest_KeepsTheAlgorithmAndTwelveHexDigits()
    {
        Assert.Equal("sha256:0123456789ab…", RegistryReference.ShortDigest("sha256:0123456789abcdef0123456789abcdef"));
    }
}
