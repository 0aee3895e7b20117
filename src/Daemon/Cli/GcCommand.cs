using System.CommandLine;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Images;
using Berth.Reconciler.State;

namespace Berth.Daemon.Cli;

/// <summary>
/// `berth gc [--dry-run]`: image garbage collection once (docs/images.md): removes the images berth
/// pulled that no container uses and that are no service's current or previous version. Exit 0 when
/// every removal it tried succeeded; 1 when the engine refused one (reported, skipped) or failed.
/// </summary>
internal static class GcCommand
{
    public static Command Build()
    {
        var host = new Option<string?>("--host") { Description = "The host identity whose pulled images to collect (default: this machine's hostname)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be removed and kept, remove nothing" };
        var command = new Command("gc", "Remove the images berth pulled and no longer uses, keeping each service's previous version");
        command.Options.Add(host);
        command.Options.Add(dryRun);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            using var context = new CommandContext(parseResult);
            if (!context.TryLockStateDirectory("gc", stderr, out var stateLock))
            {
                return ExitCodes.Error;
            }

            using var heldLock = stateLock;
            var isDryRun = parseResult.GetValue(dryRun);
            ImageCollectionResult result;
            try
            {
                var collector = new ImageGarbageCollector(new ResilientContainerEngine(context.Engine, TimeProvider.System), new StateStore(context.StateDirectory));
                result = await collector.CollectAsync(parseResult.GetValue(host) ?? Environment.MachineName, isDryRun, cancellationToken).ConfigureAwait(false);
            }
            catch (EngineException exception)
            {
                stderr.WriteLine($"berth gc: {context.EngineFailure(exception)}");
                return ExitCodes.Error;
            }

            return Report(result, stdout, stderr);
        });
        return command;
    }

    private static int Report(ImageCollectionResult result, TextWriter stdout, TextWriter stderr)
    {
        if (result.DryRun)
        {
            stdout.Write(result.Plan.ToString());
            stdout.WriteLine($"dry run: {Count(result.Plan.Remove.Length)} would be removed");
            return ExitCodes.Success;
        }

        foreach (var kept in result.Plan.Keep)
        {
            stdout.WriteLine($"kept {ImageReference.ShortId(kept.Image.Id)} ({kept.Image.Reference}): {kept.Reason}");
        }

        foreach (var removed in result.Removed)
        {
            stdout.WriteLine($"removed {ImageReference.ShortId(removed.Id)} ({removed.Reference})");
        }

        foreach (var (image, error) in result.Failed)
        {
            stderr.WriteLine($"berth gc: could not remove {ImageReference.ShortId(image.Id)} ({image.Reference}), skipped: {error}");
        }

        stdout.WriteLine($"{Count(result.Removed.Length)} removed{(result.Failed.IsEmpty ? "" : $", {Count(result.Failed.Length)} refused by the engine")}");
        return result.Failed.IsEmpty ? ExitCodes.Success : ExitCodes.Error;
    }

    private static string Count(int images) => images == 1 ? "1 image" : $"{images.ToString(System.Globalization.CultureInfo.InvariantCulture)} images";
}
