using System.CommandLine;
using Berth.Reconciler.Engine;
using Berth.Reconciler.Git;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec;
using Berth.Reconciler.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Daemon.Cli;

/// <summary>What `plan` and `apply` share: the engine client, the state store, loading the desired state.</summary>
internal sealed class CommandContext : IDisposable
{
    public const string DefaultStateDirectory = "/var/lib/berth";

    /// <param name="readOnly">For `berth plan`, which runs without the state directory's lock: the engine only looks (<see cref="DockerContainerEngine.Connect"/>'s readOnly).</param>
    public CommandContext(ParseResult parseResult, bool readOnly = false)
    {
        StateDirectory = parseResult.GetValue(GlobalOptions.StateDir) ?? DefaultStateDirectory;
        DockerEndpoint = DockerClientFactory.ResolveEndpoint(parseResult.GetValue(GlobalOptions.DockerHost));
        HostSecretsDirectory = Path.GetFullPath(parseResult.GetValue(GlobalOptions.HostSecretsDir) ?? Berth.Reconciler.Secrets.Files.FileSourceOptions.DefaultHostDirectory);
        var credentials = new Berth.Reconciler.Images.DockerConfigCredentials(
            Path.GetFullPath(parseResult.GetValue(GlobalOptions.RegistryConfig) ?? Berth.Reconciler.Images.DockerConfigCredentials.DefaultPath), TimeProvider.System);
        Engine = DockerContainerEngine.Connect(
            DockerEndpoint.ToString(),
            TimeSpan.FromSeconds(60),
            Path.GetFullPath(parseResult.GetValue(GlobalOptions.SecretFilesDir) ?? Berth.Reconciler.Secrets.Files.MountedFileStore.DefaultRoot),
            credentials,
            readOnly);
        var tagChecker = new Berth.Reconciler.Images.TagChecker(
            new Berth.Reconciler.Images.RegistryClient(credentials, new Berth.Reconciler.Images.RegistryClientOptions()), TimeProvider.System);
        StateStore = new StateStore(StateDirectory);
        // The health gates of `apply` learn from the engine's events (a long-lived request: its own client).
        Events = DockerEngineEvents.Connect(DockerEndpoint.ToString());
        Reconciler = new HostReconciler(new ResilientContainerEngine(Berth.Reconciler.Faults.FaultInjectingContainerEngine.Wrap(Engine), TimeProvider.System), StateStore, TimeProvider.System, tagChecker: tagChecker, events: Events);
    }

    /// <summary>
    /// For a desired state in a directory: asks the engine for its lists and reads berth's record of the
    /// host now, so that both are answered while the desired state loads (issue #16: a no-op `apply` at 50
    /// services waited about a third of its time for them after the load, with the second core idle). The
    /// pass takes them, once (<see cref="DockerContainerEngine.BeginObserving"/>,
    /// <see cref="StateStore.BeginLoading"/>); both only read. Not for git: the fetch takes seconds, and the
    /// pass would plan from lists that old.
    /// </summary>
    public void BeginPass(SourceOptions source, ParseResult parseResult)
    {
        if (source.Origin(parseResult, StateDirectory) is not DesiredStateOrigin.Directory)
        {
            return;
        }

        var host = source.HostIdentity(parseResult);
        Engine.BeginObserving(host);
        StateStore.BeginLoading(host);
    }

    public string StateDirectory { get; }

    /// <summary>Where a Compose secret's or config's absolute `file:` may be (as the daemon's spec.hostSecretsDirectory).</summary>
    public string HostSecretsDirectory { get; }

    public Uri DockerEndpoint { get; }

    public DockerContainerEngine Engine { get; }

    public DockerEngineEvents Events { get; }

    public HostReconciler Reconciler { get; }

    public StateStore StateStore { get; }

    /// <summary>
    /// Takes the state directory's lock for <paramref name="command"/>, which changes it (`apply`: state
    /// file, live directory, git mirror; `plan --git` falls back to a temporary clone instead).
    /// False, with the error printed, when another berth process holds it.
    /// </summary>
    public bool TryLockStateDirectory(string command, TextWriter stderr, out StateDirectoryLock? held)
    {
        held = null;
        try
        {
            held = StateDirectoryLock.Acquire(StateDirectory, $"berth {command}");
            return true;
        }
        catch (StateDirectoryLockedException locked)
        {
            stderr.WriteLine($"berth {command}: {locked.Message}");
            return false;
        }
    }

    public static bool IsGit(SourceOptions source, ParseResult parseResult, string stateDirectory) =>
        source.Origin(parseResult, stateDirectory) is DesiredStateOrigin.Git;

    /// Loads the desired state for the command's host, or prints why there is none and returns null:
    /// the source cannot be read, the repository is invalid, or the host is not in the inventory.
    /// </summary>
    /// <param name="gitCacheDirectory">Fetch and export under this directory instead of the state directory (a preview while another process holds the state directory).</param>
    public async Task<LoadedDesiredState?> LoadOrReportAsync(
        string command, SourceOptions source, ParseResult parseResult, TextWriter stderr, CancellationToken cancellationToken, string? gitCacheDirectory = null)
    {
        var origin = source.Origin(parseResult, StateDirectory);
        if (gitCacheDirectory is not null && origin is DesiredStateOrigin.Git withMirror)
        {
            origin = withMirror with { Options = withMirror.Options with { CacheDirectory = Path.Combine(gitCacheDirectory, "git") } };
        }

        if (source.LoadOptions(parseResult, command, stderr) is not { } loadOptions)
        {
            return null;
        }

        LoadedDesiredState loaded;
        try
        {
            if (origin is DesiredStateOrigin.Directory directory && !Directory.Exists(directory.Path))
            {
                stderr.WriteLine($"berth {command}: repository directory '{directory.Path}' does not exist (--repo)");
                return null;
            }

            if (origin is DesiredStateOrigin.Git { Options: var options } && options.Validate() is { Count: > 0 } problems)
            {
                // The GitSource constructor would throw these; a command-line mistake is an error message,
                // not a stack trace (the messages never contain a secret from the URL).
                stderr.WriteLine($"berth {command}: cannot read the desired state: invalid git source: {string.Join(" ", problems)}");
                return null;
            }

            if (origin is DesiredStateOrigin.Git && gitCacheDirectory is null)
            {
                // The clone and exported trees go under the state directory: create it owner-only first.
                StateStore.EnsureDirectory(StateDirectory);
            }

            using var gitSource = origin is DesiredStateOrigin.Git git
                ? new GitSource(git.Options, TimeProvider.System, NullLogger<GitSource>.Instance)
                : null;
            loaded = await DesiredStateSource.LoadAsync(origin, source.HostIdentity(parseResult), loadOptions with { FileSources = FileSourcesOf(HostSecretsDirectory, StateDirectory) }, gitSource,
                StateDirectory, cancellationToken, gitCacheDirectory is null ? null : Path.Combine(gitCacheDirectory, "trees")).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A file that exists but cannot be read (permissions, a vanished directory): one line, no stack trace.
            stderr.WriteLine($"berth {command}: cannot read the repository: {exception.Message}");
            return null;
        }

        if (!ReportLoadFailure(command, loaded, stderr))
        {
            return null;
        }

        return loaded;
    }

    /// <summary>Prints why there is no desired state to act on; returns false when there is none.</summary>
    private static bool ReportLoadFailure(string command, LoadedDesiredState loaded, TextWriter stderr)
    {
        if (loaded.SourceError is { } sourceError)
        {
            stderr.WriteLine($"berth {command}: cannot read the desired state: {sourceError.Message}");
            return false;
        }

        if (!loaded.SpecErrors.IsEmpty)
        {
            foreach (var error in loaded.SpecErrors)
            {
                stderr.WriteLine(error);
            }

            stderr.WriteLine($"berth {command}: the desired state is invalid ({loaded.SpecErrors.Length} error{(loaded.SpecErrors.Length == 1 ? "" : "s")}); nothing was changed");
            return false;
        }

        // Unlike `validate` (which lists what each host runs), plan and apply act on one host: a
        // host the inventory does not name is a typo or a hostname mismatch, not "no changes".
        if (loaded.HostNotInInventory is { } notInInventory)
        {
            stderr.WriteLine($"berth {command}: {notInInventory}");
            return false;
        }

        return loaded.State is not null;
    }

    /// <summary>
    /// A failed engine call is a clear one-line error, not a stack trace: an engine that cannot be reached
    /// or did not answer in time (<see cref="EngineErrors.IsTransient"/>, the one definition of
    /// "unavailable"), or a request it refused.
    /// </summary>
    public string EngineFailure(EngineException exception) => EngineFailure(DockerEndpoint, exception);

    internal static string EngineFailure(Uri endpoint, EngineException exception) => EngineErrors.IsTransient(exception)
        ? $"cannot reach the Docker Engine at {endpoint}: {exception.GetBaseException().Message}"
        : $"the Docker Engine at {endpoint} refused: {exception.Message}";

    public void Dispose()
    {
        Events.Dispose();
        Engine.Dispose();
    }

    /// <summary>The content key of the state directory, as the daemon uses it (so a plan compares hashes made with the same key).</summary>
    private static Berth.Reconciler.Secrets.Files.FileSourceOptions FileSourcesOf(string hostSecretsDirectory, string stateDirectory) =>
        new(hostSecretsDirectory, Berth.Reconciler.Secrets.Files.ContentKeyring.LoadOrCreate(stateDirectory));
}
