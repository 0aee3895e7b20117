using System.Text.Json.Nodes;

namespace Berth.Reconciler.Forge;

/// <summary>
/// The commit-status API GitHub defined and Gitea/Forgejo copied: POST /repos/{owner}/{repo}/statuses/{sha}
/// with {state, context, description, target_url}, GET /repos/{owner}/{repo}/commits/{sha}/statuses.
/// The providers differ in authentication, the description's limit, the list's paging and the name of
/// a listed item's state field; the rest is this one piece.
/// </summary>
public abstract class GitHubStyleStatusProvider(HttpClient http, Uri apiBase, string repository, Func<string> readToken)
    : ForgeHttpProvider(http, apiBase, readToken)
{
    /// <summary>The longest description sent (cut with … by <see cref="ForgeHttpProvider.OneLine"/>).</summary>
    protected abstract int DescriptionCharacters { get; }

    /// <summary>The query string of the list request (the provider's paging).</summary>
    protected abstract string ListQuery { get; }

    /// <summary>The field of a listed status that holds its state.</summary>
    protected abstract string ListedStateField { get; }

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
            ["description"] = OneLine(status.Description, DescriptionCharacters),
        };
        if (status.TargetUrl is { } targetUrl)
        {
            body["target_url"] = targetUrl;
        }

        return PostJsonAsync($"repos/{repository}/statuses/{Uri.EscapeDataString(status.Sha)}", body, cancellationToken);
    }

    public override async Task<IReadOnlyList<CommitStatus>> ListAsync(string sha, CancellationToken cancellationToken)
    {
        var page = await GetJsonAsync($"repos/{repository}/commits/{Uri.EscapeDataString(sha)}/statuses?{ListQuery}", cancellationToken).ConfigureAwait(false);
        return LatestPerContext((page as JsonArray ?? []).Select(item => (Id(item), new CommitStatus(
            sha,
            Text(item, "context"),
            Text(item, ListedStateField) switch
            {
                "pending" => CommitState.Pending,
                "success" => CommitState.Success,
                "failure" => CommitState.Failure,
                _ => CommitState.Error,
            },
            Text(item, "description"),
            item?["target_url"]?.GetValue<string>()))));
    }
}
