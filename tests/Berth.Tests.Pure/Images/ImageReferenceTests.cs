using Berth.Reconciler.Images;

namespace Berth.Tests.Images;

/// <summary>References resolve against the engine's image list as the engine resolves them.</summary>
public sealed class ImageReferenceTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static readonly ObservedImage[] Images =
    [
        new("sha256:aaaa1111aaaa1111", ["nginx:1.27", "nginx:latest"], [$"nginx@{Digest}"]),
        new("sha256:bbbb2222bbbb2222", ["127.0.0.1:5000/app:2"], []),
        new("sha256:cccc3333cccc3333", [], ["127.0.0.1:5000/app@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"]),
    ];

    [Theory]
    [InlineData("nginx", "sha256:aaaa1111aaaa1111")]
    [InlineData("nginx:1.27", "sha256:aaaa1111aaaa1111")]
    [InlineData("docker.io/library/nginx:1.27", "sha256:aaaa1111aaaa1111")]
    [InlineData("library/nginx:latest", "sha256:aaaa1111aaaa1111")]
    [InlineData("nginx@" + Digest, "sha256:aaaa1111aaaa1111")]
    [InlineData("nginx:whatever@" + Digest, "sha256:aaaa1111aaaa1111")]
    [InlineData("127.0.0.1:5000/app:2", "sha256:bbbb2222bbbb2222")]
    [InlineData("127.0.0.1:5000/app@sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", "sha256:cccc3333cccc3333")]
    [InlineData("127.0.0.1:5000/app:1", null)]
    [InlineData("127.0.0.1:5000/app", null)]
    [InlineData("nginx:1.26", null)]
    [InlineData("127.0.0.1:5000/app@" + Digest, null)]
    public void Resolve_TagsAndDigests_AsTheEngineDoes(string reference, string? expectedId)
    {
        Assert.Equal(expectedId, ImageReference.Resolve(reference, Images));
    }

    [Fact]
    public void Parse_TagAndDigest_DigestKeptTagNoted()
    {
        Assert.Equal(new ImageReference("127.0.0.1:5000/team/app", "1", Digest), ImageReference.Parse($"127.0.0.1:5000/team/app:1@{Digest}"));
        Assert.Equal(new ImageReference("docker.io/library/nginx", null, null), ImageReference.Parse("nginx"));
        Assert.Equal("latest", ImageReference.Parse("nginx")!.EffectiveTag);
    }

    [Fact]
    public void ShortId_TwelveHexDigits()
    {
        Assert.Equal("0123456789ab", ImageReference.ShortId(Digest));
    }
}
