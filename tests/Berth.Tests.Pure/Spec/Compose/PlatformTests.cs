using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

/// <summary>`platform`: read, normalised as containerd does, hashed only when set; bad values are errors at the value.</summary>
public sealed class PlatformTests
{
    private static ServiceSpec Web(string platformLine) =>
        LoadStack($"services:\n  web:\n    image: busybox\n{platformLine}").Services.Single();

    [Theory]
    [InlineData("linux/amd64", "linux/amd64")]
    [InlineData("linux/x86_64", "linux/amd64")]
    [InlineData("Linux/AMD64", "linux/amd64")]
    [InlineData("linux/aarch64", "linux/arm64")]
    [InlineData("linux/arm64/v8", "linux/arm64")]
    [InlineData("linux/arm", "linux/arm/v7")]
    [InlineData("linux/arm/v6", "linux/arm/v6")]
    public void Platform_IsReadNormalised(string written, string expected)
    {
        Assert.Equal(expected, Web($"    platform: {written}\n").Container.Platform);
    }

    [Fact]
    public void Platform_SpellingsOfOnePlatform_HaveOneConfigHash_AndSettingItChangesTheHash()
    {
        Assert.Equal(Web("    platform: linux/x86_64\n").ConfigHash, Web("    platform: linux/amd64\n").ConfigHash);
        Assert.NotEqual(Web("").ConfigHash, Web("    platform: linux/amd64\n").ConfigHash);
        Assert.NotEqual(Web("    platform: linux/arm64\n").ConfigHash, Web("    platform: linux/amd64\n").ConfigHash);
    }

    [Theory]
    [InlineData("arm64")]
    [InlineData("linux/arm64/v8/extra")]
    [InlineData("linux/")]
    public void Platform_NotOsSlashArch_IsAnErrorAtTheValue(string written)
    {
        Assert.Equal(
            [$"4:15: services.web.platform must be os/arch or os/arch/variant (e.g. linux/amd64, linux/arm/v7), not '{written}'"],
            Errors($"services:\n  web:\n    image: busybox\n    platform: {written}\n"));
    }

    [Theory]
    [InlineData("linux/arm/v7", "linux/arm", true)]
    [InlineData("linux/arm/v7", "linux/arm/v6", false)]
    [InlineData("linux/arm64", "linux/amd64", false)]
    [InlineData("linux/amd64", "linux/amd64", true)]
    public void Matches_AnImageWithoutAVariant_MatchesAnyVariantOfItsArchitecture(string wanted, string image, bool matches)
    {
        Assert.Equal(matches, PlatformName.Matches(wanted, image));
    }
}
