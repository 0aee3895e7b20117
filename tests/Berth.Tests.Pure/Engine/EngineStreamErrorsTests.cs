using Berth.Reconciler.Engine;
using Docker.DotNet.Models;

namespace Berth.Tests.Engine;

public sealed class EngineStreamErrorsTests
{
    [Fact]
    public void Report_ErrorMessage_IsVisibleAsSoonAsReportReturns()
    {
        // The pull reads the error right after the engine call returns: a report that is posted to the
        // thread pool (Progress<T>) may not have run by then, and a failed pull looked like a success.
        var stream = new EngineStreamErrors();

        stream.Report(new JSONMessage { Status = "Pulling from app" });
        stream.Report(new JSONMessage { Error = new JSONError { Message = "manifest unknown" } });
        stream.Report(new JSONMessage { Status = "a later status line" });

        Assert.Equal("manifest unknown", stream.Error);
    }

    [Fact]
    public void Report_OnlyStatusLines_LeavesNoError()
    {
        var stream = new EngineStreamErrors();

        stream.Report(new JSONMessage { Status = "Downloaded newer image" });

        Assert.Null(stream.Error);
    }
}
