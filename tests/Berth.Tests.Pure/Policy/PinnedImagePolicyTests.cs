using Berth.Reconciler.Policy;
using Berth.Reconciler.Spec;
using Berth.Tests.Spec;

namespace Berth.Tests.Policy;

/// <summary>
/// `pinnedImages`, the host's (policy file) and the repository's (berth.yaml `policy:`): refused
/// images are reported at the `image:` value, every one at once, and the stricter rule applies.
/// </summary>
public sealed class PinnedImagePolicyTests
{
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static string[] Errors(ImagePinning pinning, params string[] images) =>
        SpecTestRepository.Errors(
            "name: app\nservices:\n" + string.Concat(images.Select((image, index) => $"  s{index}:\n    image: {image}\n")),
            new SpecLoadOptions { Policy = HostPolicy.Restrictive with { PinnedImages = pinning, Capabilities = ["ALL"] } });

    [Fact]
    public void Tag_LatestAndMissingTag_RefusedAtTheImageValue()
    {
        var errors = Errors(ImagePinning.Tag, "nginx:latest", "registry.example.com:5000/team/app", "nginx:1.27");

        Assert.Equal(
        [
            "4:12: services.s0.image: 'nginx:latest' names latest, a tag that moves (name a version or a digest); refused by this host's policy (policy.pinnedImages: tag)",
            "6:12: services.s1.image: 'registry.example.com:5000/team/app' has no tag, which means latest, a tag that moves (name a version, e.g. registry.example.com:5000/team/app:1.27, or a digest); refused by this host's policy (policy.pinnedImages: tag)",
        ], errors);
    }

    [Fact]
    public void Tag_VersionTagOrDigest_Allowed()
    {
        Assert.Empty(Errors(ImagePinning.Tag, "nginx:1.27", "localhost:5000/app:2024-05", $"nginx@{Digest}", $"nginx:latest@{Digest}"));
    }

    [Fact]
    public void Digest_AnyTag_Refused_DigestAllowed()
    {
        var errors = Errors(ImagePinning.Digest, "nginx:1.27", $"nginx@{Digest}", $"127.0.0.1:5000/app:1@{Digest}");

        var error = Assert.Single(errors);
        Assert.Equal("4:12: services.s0.image: 'nginx:1.27' is not pinned by digest (name@sha256:... or name:tag@sha256:...); refused by this host's policy (policy.pinnedImages: digest)", error);
    }

    [Fact]
    public void Digest_Malformed_Refused()
    {
        var error = Assert.Single(Errors(ImagePinning.Tag, "nginx@sha256:abc"));
        Assert.Contains("'nginx@sha256:abc' has a malformed digest", error, StringComparison.Ordinal);
    }

    [Fact]
    public void None_Latest_Allowed()
    {
        Assert.Empty(Errors(ImagePinning.None, "nginx", "nginx:latest"));
    }

    [Fact]
    public void Reader_PinnedImages_ReadsTagAndDigest_RefusesOtherValues()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("berth-pinned-").FullName, "berth.yaml");
        try
        {
            File.WriteAllText(file, "policy:\n  pinnedImages: digest\n");
            Assert.Equal(ImagePinning.Digest, HostPolicyFile.Load(file).Policy!.PinnedImages);

            File.WriteAllText(file, "policy:\n  pinnedImages: always\n");
            var error = Assert.Single(HostPolicyFile.Load(file).Errors);
            Assert.Equal((2, 17), (error.Line, error.Column));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    private static SpecTestRepository Repository(string pinning, string image) => new SpecTestRepository()
        .With("berth.yaml", $"policy:\n  pinnedImages: {pinning}\nhosts:\n  web-01: {{}}\nstacks:\n  shop:\n    compose: shop.yaml\n    hosts: [web-01]\n")
        .With("shop.yaml", $"services:\n  web:\n    image: {image}\n");

    [Fact]
    public void Repository_PinnedTag_RefusesLatest_NamingWhereTheRuleIsWritten()
    {
        var result = Repository("tag", "nginx:latest").LoadHost("web-01");

        Assert.Null(result.State);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("shop.yaml", 3, 12), (error.File, error.Line, error.Column));
        Assert.Equal("services.web.image: 'nginx:latest' names latest, a tag that moves (name a version or a digest); refused by the repository's policy (berth.yaml:2:17: policy.pinnedImages: tag)", error.Message);
    }

    [Fact]
    public void Repository_And_Host_TheStricterRuleApplies()
    {
        // The host asks for digests; the repository's `tag` cannot loosen that.
        var stricterHost = Repository("tag", "nginx:1.27").LoadHost("web-01", new SpecLoadOptions { Policy = HostPolicy.Restrictive with { PinnedImages = ImagePinning.Digest } });
        Assert.Contains("refused by this host's policy (policy.pinnedImages: digest)", Assert.Single(stricterHost.Errors).Message, StringComparison.Ordinal);

        // The repository asks for digests on a host without the rule.
        var stricterRepository = Repository("digest", "nginx:1.27").LoadHost("web-01");
        Assert.Contains("refused by the repository's policy (berth.yaml:2:17: policy.pinnedImages: digest)", Assert.Single(stricterRepository.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Repository_UnknownValue_ErrorAtTheValue()
    {
        var error = Assert.Single(Repository("sometimes", "nginx:1.27").LoadHost("web-01").Errors);
        Assert.Equal(("berth.yaml", 2, 17), (error.File, error.Line, error.Column));
    }
}
