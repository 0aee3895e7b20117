using System.Text.Json.Nodes;

namespace Berth.Reconciler.Forge;

/// <summary>
/// Gitea's and Forgejo's commit statuses (API v1): POST /repos/{owner}/{repo}/statuses/{sha} with
/// {state, target_url, description, context}, GET /repos/{owner}/{repo}/commits/{ref}/statuses, whose
/// items name the state "status". Authenticated by "Authorization: token …". States: pending, success,
/// error, failure, warning.
/// </summary>
public sealed class GiteaStatusProvider(HttpClient http, Uri apiBase, string repository, Func<string> readToken)
    : ForgeHttpProvider(http, apiBase, readToken)
{
    /// <summary>Gitea keeps the description as TEXT; berth keeps it as short as GitLab's, one line for a person.</summary>
    public const int DescriptionLimit = 255;

    public override string Name => "gitea";

    public override Task SetAsync(CommitStatus status, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["state"] = status.State switch
            {
                CommitState.Pending => "pending",
                CommitState.Success => "success",
                CommitState.Failure => "failure",
                _ => "error",
            },
            ["context"] = status.Context,
            ["description"] = OneLine(status.Description, DescriptionLimit),
        };
        if (status.TargetUrl is { } targetUrl)
        {
            body["target_url"] = targetUrl;
        }

        return PostJsonAsync($"repos/{repository}/statuses/{Uri.EscapeDataString(status.Sha)}", body, cancellationToken);
    }

    public override async Task<IReadOnlyList<CommitStatus>> ListAsync(string sha, CancellationToken cancellationToken)
    {
        var page = await GetJsonAsync($"repos/{repository}/commits/{Uri.EscapeDataString(sha)}/statuses?limit=50", cancellationToken).ConfigureAwait(false);
        return LatestPerContext((page as JsonArray ?? []).Select(item => (Id(item), new CommitStatus(
            sha,
            Text(item, "context"),
            Text(item, "status") switch
            {
                "pending" => CommitState.Pending,
                "success" => CommitState.Success,
                "failure" => CommitState.Failure,
                _ => CommitState.Error,
            },
            Text(item, "description"),
            item?["target_url"]?.GetValue<string>()))));
    }

    protected override void Authenticate(HttpRequestMessage request, string token) =>
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("token", token);
}
