namespace Berth.Reconciler.Forge;

/// <summary>
/// GitHub's commit statuses (REST API, "Commit statuses"): POST /repos/{owner}/{repo}/statuses/{sha},
/// GET /repos/{owner}/{repo}/commits/{ref}/statuses. GitHub Enterprise Server answers the same under
/// https://HOST/api/v3. States: error, failure, pending, success; the description is limited to 140
/// characters (a longer one is refused with 422).
/// </summary>
public sealed class GitHubStatusProvider(HttpClient http, Uri apiBase, string repository, Func<string> readToken)
    : GitHubStyleStatusProvider(http, apiBase, repository, readToken)
{
    /// <summary>GitHub refuses a longer description (422 "description is too long (maximum is 140 characters)").</summary>
    public const int DescriptionLimit = 140;

    /// <summary>The REST API version berth was written against (sent as X-GitHub-Api-Version).</summary>
    public const string ApiVersion = "2022-11-28";

    public override string Name => "github";

    protected override int DescriptionCharacters => DescriptionLimit;

    // Newest first, every status ever set (several per context): 100 per page is GitHub's maximum,
    // enough for a fleet's hosts on one commit.
    protected override string ListQuery => "per_page=100";

    protected override string ListedStateField => "state";

    protected override void Authenticate(HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.Add("X-GitHub-Api-Version", ApiVersion);
    }
}
