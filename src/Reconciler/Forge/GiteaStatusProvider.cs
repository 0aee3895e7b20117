namespace Berth.Reconciler.Forge;

/// <summary>
/// Gitea's and Forgejo's commit statuses (API v1): POST /repos/{owner}/{repo}/statuses/{sha} with
/// {state, target_url, description, context}, GET /repos/{owner}/{repo}/commits/{ref}/statuses, whose
/// items name the state "status". Authenticated by "Authorization: token …". States: pending, success,
/// error, failure, warning.
/// </summary>
public sealed class GiteaStatusProvider(HttpClient http, Uri apiBase, string repository, Func<string> readToken)
    : GitHubStyleStatusProvider(http, apiBase, repository, readToken)
{
    /// <summary>Gitea keeps the description as TEXT; berth keeps it as short as GitLab's, one line for a person.</summary>
    public const int DescriptionLimit = 255;

    public override string Name => "gitea";

    protected override int DescriptionCharacters => DescriptionLimit;

    protected override string ListQuery => "limit=50";

    protected override string ListedStateField => "status";

    protected override void Authenticate(HttpRequestMessage request, string token) =>
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", token);
}
