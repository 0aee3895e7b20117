using System.CommandLine;

namespace Berth.Daemon.Cli;

/// <summary>`berth status`: what runs, which revision, what failed and why (or the raw JSON).</summary>
internal static class StatusCommand
{
    public static readonly Option<bool> JsonOption = new("--json") { Description = "Print the daemon's status document as JSON" };

    public static readonly Option<string?> UrlOption = DaemonUrl.CreateUrlOption();

    public static readonly Option<string> ConfigOption = DaemonUrl.CreateConfigOption();

    public static readonly Option<string?> TokenFileOption = DaemonToken.CreateTokenFileOption();

    public static Command Build()
    {
        var command = new Command("status", "Show what runs, which revision, what failed and why");
        command.Options.Add(JsonOption);
        command.Options.Add(UrlOption);
        command.Options.Add(ConfigOption);
        command.Options.Add(TokenFileOption);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            var urlText = DaemonUrl.Resolve(parseResult.GetValue(UrlOption), parseResult.GetValue(ConfigOption)!);
            if (!DaemonClient.TryParseUrl(urlText, out var url))
            {
                await stderr.WriteLineAsync($"berth status: '{urlText}' is not an http:// URL").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            // Without the token (not root) the status still comes, without rollout evidence (log lines).
            var tokenFile = parseResult.GetValue(TokenFileOption);
            var token = DaemonToken.TryRead(tokenFile, parseResult.GetValue(ConfigOption)!, out var tokenProblem);
            if (token is null && tokenFile is not null)
            {
                // Asked for by name, so worth saying; the default file is unreadable for every non-root user, which is normal.
                await stderr.WriteLineAsync($"berth status: {tokenProblem}; showing the status without rollout evidence").ConfigureAwait(false);
            }

            using var client = new DaemonClient(url, token);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                var (snapshot, json) = await client.GetStatusAsync(timeout.Token).ConfigureAwait(false);
                await stdout.WriteAsync(parseResult.GetValue(JsonOption) ? json.TrimEnd() + Environment.NewLine : StatusRenderer.Render(snapshot)).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or InvalidDataException or System.Text.Json.JsonException)
            {
                await stderr.WriteLineAsync($"berth status: cannot get the status from {url}: {exception.Message} (is `berth daemon` running? see --url)").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }
}
