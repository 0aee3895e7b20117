using System.CommandLine;
using Berth.Reconciler.Loop;

namespace Berth.Daemon.Cli;

/// <summary>`berth sync`: ask the daemon for a pass now and wait for its result. Exit 0 when it converged or applied changes.</summary>
internal static class SyncCommand
{
    public static readonly Option<string?> UrlOption = DaemonUrl.CreateUrlOption();

    public static readonly Option<string> ConfigOption = DaemonUrl.CreateConfigOption();

    public static readonly Option<string?> TokenFileOption = DaemonToken.CreateTokenFileOption();

    public static readonly Option<TimeSpan> TimeoutOption = new("--timeout")
    {
        Description = "Give up waiting after this long (the pass still runs), e.g. 00:30:00. Default 30 minutes.",
        DefaultValueFactory = _ => TimeSpan.FromMinutes(30),
    };

    public static readonly Option<bool> RetryFailedOption = new("--retry-failed")
    {
        Description = "Re-apply the services a failed revision holds back (as `berth apply --retry-failed`)",
    };

    public static Command Build()
    {
        var command = new Command("sync", "Ask the running daemon for a pass now and wait for its result");
        command.Options.Add(UrlOption);
        command.Options.Add(ConfigOption);
        command.Options.Add(TokenFileOption);
        command.Options.Add(TimeoutOption);
        command.Options.Add(RetryFailedOption);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            var urlText = DaemonUrl.Resolve(parseResult.GetValue(UrlOption), parseResult.GetValue(ConfigOption)!);
            if (!DaemonClient.TryParseUrl(urlText, out var url))
            {
                await stderr.WriteLineAsync($"berth sync: '{urlText}' is not an http:// URL").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            // /sync needs the token; without it the daemon would only answer 401, so say why here.
            if (DaemonToken.TryRead(parseResult.GetValue(TokenFileOption), parseResult.GetValue(ConfigOption)!, out var tokenProblem) is not { } token)
            {
                await stderr.WriteLineAsync($"berth sync: the daemon's API token is needed: {tokenProblem}").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            using var client = new DaemonClient(url, token);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(parseResult.GetValue(TimeoutOption));
            try
            {
                var pass = await client.SyncAsync(parseResult.GetValue(RetryFailedOption), timeout.Token).ConfigureAwait(false);
                await stdout.WriteLineAsync(StatusRenderer.DescribePass(pass)).ConfigureAwait(false);
                return pass.Outcome.Succeeded() ? ExitCodes.Success : ExitCodes.Error;
            }
            catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException or InvalidDataException or System.Text.Json.JsonException)
            {
                await stderr.WriteLineAsync($"berth sync: no result from {url}: {exception.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        });
        return command;
    }
}
