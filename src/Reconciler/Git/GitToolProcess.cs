using Berth.Reconciler.Processes;

namespace Berth.Reconciler.Git;

internal static class GitToolProcess
{
    /// <summary>
    /// Runs git, ssh-keygen or gpg; a tool that cannot be started at all is the host's setup
    /// (<see cref="GitFailureReason.LocalSetupError"/>), which is how the git source reports it.
    /// </summary>
    /// <exception cref="GitSourceException">The tool could not be started.</exception>
    public static async Task<ProcessOutcome> RunToolAsync(this BoundedProcess processes, ProcessRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await processes.RunAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (ProcessRunException exception)
        {
            throw new GitSourceException(new GitError(GitFailureReason.LocalSetupError, exception.Message), exception);
        }
    }
}
