using Berth.Reconciler.Forge;

namespace Berth.Tests.Fleet;

public sealed class ForgeRepositoryTests
{
    [Theory]
    [InlineData("https://github.com/acme/deploy.git", null, ForgeKind.GitHub, "https://api.github.com/", "acme/deploy")]
    [InlineData("git@github.com:acme/deploy.git", null, ForgeKind.GitHub, "https://api.github.com/", "acme/deploy")]
    [InlineData("ssh://git@github.com/acme/deploy", null, ForgeKind.GitHub, "https://api.github.com/", "acme/deploy")]
    [InlineData("https://github.example.com/acme/deploy.git", ForgeKind.GitHub, ForgeKind.GitHub, "https://github.example.com/api/v3/", "acme/deploy")]
    [InlineData("https://gitlab.com/ops/fleet/deploy.git", null, ForgeKind.GitLab, "https://gitlab.com/api/v4/", "ops/fleet/deploy")]
    [InlineData("git@gitlab.example.com:ops/deploy.git", ForgeKind.GitLab, ForgeKind.GitLab, "https://gitlab.example.com/api/v4/", "ops/deploy")]
    [InlineData("https://git.example.com:3000/acme/deploy.git", ForgeKind.Gitea, ForgeKind.Gitea, "https://git.example.com:3000/api/v1/", "acme/deploy")]
    [InlineData("ssh://git@git.example.com:2222/acme/deploy.git", ForgeKind.Gitea, ForgeKind.Gitea, "https://git.example.com/api/v1/", "acme/deploy")]
    [InlineData("http://127.0.0.1:3000/acme/deploy.git", ForgeKind.Gitea, ForgeKind.Gitea, "http://127.0.0.1:3000/api/v1/", "acme/deploy")]
    public void FromCloneUrl_KnownShapes_TellTheForgeItsApiAndTheRepository(string url, ForgeKind? given, ForgeKind kind, string apiBase, string repository)
    {
        var forge = ForgeRepository.FromCloneUrl(url, given, out var problem);

        Assert.Null(problem);
        Assert.Equal(new ForgeRepository(kind, new Uri(apiBase), repository), forge);
    }

    [Theory]
    [InlineData("https://git.example.com/acme/deploy.git", "which forge")]
    [InlineData("/srv/git/deploy.git", "cannot tell")]
    [InlineData("file:///srv/git/deploy.git", "cannot tell")]
    [InlineData("https://github.com/acme/group/deploy.git", "is not owner/repository")]
    public void FromCloneUrl_UrlThatDoesNotTell_SaysWhy(string url, string expected)
    {
        Assert.Null(ForgeRepository.FromCloneUrl(url, null, out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }
}
