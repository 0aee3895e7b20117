using Berth.Reconciler.Git;
using Berth.Reconciler.Processes;

namespace Berth.Tests.Git;

/// <summary>The git source's view of a tool it cannot run: its own error, classified as before BoundedProcess left Git/.</summary>
public sealed class GitToolProcessTests
{
    [Fact]
    public async Task RunToolAsync_ToolMissing_ThrowsLocalSetupErrorWithTheProcessMessage()
    {
        var exception = await Assert.ThrowsAsync<GitSourceException>(() => new BoundedProcess(TimeProvider.System).RunToolAsync(
            new ProcessRequest("berth-no-such-tool", []) { Timeout = TimeSpan.FromSeconds(10) }, CancellationToken.None));

        Assert.Equal(GitFailureReason.LocalSetupError, exception.Error.Reason);
        Assert.False(exception.Error.IsTransient);
        Assert.StartsWith("cannot run 'berth-no-such-tool': ", exception.Error.Message, StringComparison.Ordinal);
        Assert.IsType<ProcessRunException>(exception.InnerException);
    }
}
