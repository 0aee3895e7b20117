using System.Text.Json.Nodes;

namespace Berth.Reconciler.Forge;

/// <summary>
/// GitLab's commit statuses (REST API v4, "Commits"): POST /projects/:id/statuses/:sha with the project
/// given by its URL-encoded path (group%2Fsubgroup%2Fproject) or number, GET
/// /projects/:id/repository/commits/:sha/statuses (the latest status of each name unless all=true).
/// Authenticated by the PRIVATE-TOKEN header. States: pending, running, success, failed, canceled;
/// berth reports a host that applies as "running" (it is doing the work, not waiting for a runner).
/// GitLab refuses a transition to the state a status already has (400 "Cannot transition status"):
/// berth only posts changes.
/// </summary>
public sealed class GitLabStatusProvider(HttpClient http, Uri apiBase, string project, Func<string> readToken)
    : ForgeHttpProvider(http, apiBase, readToken)
{
    /// <summary>GitLab stores the description in a 255-character column.</summary>
    public const int DescriptionLimit = 255;

    public override string Name => "gitlab";

    private string ProjectId => Uri.EscapeDataString(project);

    public override Task SetAsync(CommitStatus status, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["state"] = status.State switch
            {
                CommitState.Pending => "running",
                CommitState.Success => "success",
                CommitState.Failure => "failed",
                _ => "canceled",
            },
            ["name"] = status.Context,
            ["description"] = OneLine(status.Description, DescriptionLimit),
        };
        if (status.TargetUrl is { } targetUrl)
        {
            body["target_url"] = targetUrl;
        }

        return PostJsonAsync($"projects/{ProjectId}/statuses/{Uri.EscapeDataString(status.Sha)}", body, cancellationToken);
    }

    public override async Task<IReadOnlyList<CommitStatus>> ListAsync(string sha, CancellationToken cancellationToken)
    {
        var page = await GetJsonAsync($"projects/{ProjectId}/repository/commits/{Uri.EscapeDataString(sha)}/statuses?per_page=100", cancellationToken).ConfigureAwait(false);
        return LatestPerContext((page as JsonArray ?? []).Select(item => (Id(item), new CommitStatus(
            sha,
            Text(item, "name"),
            Text(item, "status") switch
            {
                "pending" or "running" or "created" => CommitState.Pending,
                "success" => CommitState.Success,
                "failed" => CommitState.Failure,
                _ => CommitState.Error,
            },
            Text(item, "description"),
            item?["target_url"]?.GetValue<string>()))));
    }

    protected override void Authenticate(HttpRequestMessage request, string token) => request.Headers.Add("PRIVATE-TOKEN", token);
}
