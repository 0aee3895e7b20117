using Microsoft.Extensions.Logging;

namespace Berth.Reconciler.Git;

/// <summary>
/// Every log line the git source writes, source-generated. URLs are logged scrubbed; credentials never
/// reach this class (they live only in the child process environment).
/// </summary>
internal static partial class GitSourceLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug,
        Message = "Remote check of {Url} branch {Branch}: remote tip {RemoteTip}, local tip {LocalTip}, changed {Changed}, took {DurationMs} ms")]
    public static partial void RemoteChecked(ILogger logger, string url, string branch, string? remoteTip, string? localTip, bool changed, long durationMs);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information,
        Message = "Fetching {Url} branch {Branch}: {PreviousTip} -> {RemoteTip}")]
    public static partial void Fetching(ILogger logger, string url, string branch, string? previousTip, string? remoteTip);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information,
        Message = "Fetched {Url} branch {Branch} at {Tip} \"{Summary}\" by {Author} in {DurationMs} ms")]
    public static partial void Fetched(ILogger logger, string url, string branch, string tip, string summary, string author, long durationMs);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning,
        Message = "Branch {Branch} of {Url} was force-pushed or rewritten: {PreviousTip} is not an ancestor of the new tip {Tip}; following the new tip")]
    public static partial void ForcePushDetected(ILogger logger, string url, string branch, string previousTip, string tip);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Debug,
        Message = "Branch {Branch} of {Url} unchanged at {Tip}; nothing fetched")]
    public static partial void UpToDate(ILogger logger, string url, string branch, string tip);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning,
        Message = "Git {Operation} of {Url} branch {Branch} failed ({Reason}, transient {Transient}): {ErrorMessage}")]
    public static partial void OperationFailed(ILogger logger, string operation, string url, string branch, GitFailureReason reason, bool transient, string errorMessage);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning,
        Message = "Removed stale git lock files left by an interrupted operation in {Mirror}: {LockFiles}")]
    public static partial void StaleLocksRemoved(ILogger logger, string mirror, string lockFiles);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Warning,
        Message = "The local mirror {Mirror} was not a valid repository and was recreated; the next fetch downloads everything")]
    public static partial void MirrorRecreated(ILogger logger, string mirror);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information,
        Message = "The source URL changed from {PreviousUrl} to {Url}; the previous tip is forgotten")]
    public static partial void SourceUrlChanged(ILogger logger, string? previousUrl, string url);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information,
        Message = "Commit {CommitSha} signature accepted: {Detail}")]
    public static partial void SignatureVerified(ILogger logger, string commitSha, string detail);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning,
        Message = "Commit {CommitSha} refused ({Status}): {Reason}")]
    public static partial void SignatureRefused(ILogger logger, string commitSha, SignatureStatus status, string reason);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Debug,
        Message = "Exported commit {CommitSha} sub-path '{SubPath}' to {Target}: {Files} files, {Directories} directories, {Bytes} bytes")]
    public static partial void TreeExported(ILogger logger, string commitSha, string subPath, string target, int files, int directories, long bytes);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Information,
        Message = "Removed {Count} exported trees an earlier berth process left in {ExportRoot} (exports cut short, or no longer used)")]
    public static partial void ExportLeftoversRemoved(ILogger logger, string exportRoot, int count);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Warning,
        Message = "Housekeeping (git gc --auto) of {Mirror} failed; fetching still works: {ErrorMessage}")]
    public static partial void MaintenanceFailed(ILogger logger, string mirror, string errorMessage);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning,
        Message = "Removed the partial download of an interrupted fetch from {Mirror}: {Bytes} bytes in {Files}")]
    public static partial void PartialDownloadRemoved(ILogger logger, string mirror, long bytes, string files);
}
