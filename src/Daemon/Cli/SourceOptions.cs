using System.CommandLine;
using Berth.Reconciler.Git;
using Berth.Reconciler.Reconciliation;
using Berth.Reconciler.Spec;

namespace Berth.Daemon.Cli;

/// <summary>
/// Where `plan` and `apply` read the desired state from, and for which host: a directory (`--repo`)
/// or a git branch (`--git URL --branch B`), for people who prefer cron or a CI job to the daemon.
/// </summary>
internal sealed class SourceOptions
{
    public readonly Option<string?> Repo = new("--repo") { Description = "A desired-state repository directory (default: the current directory, unless --git is given)" };
    public readonly Option<string?> Git = new("--git") { Description = "Read the desired state from this git repository instead (URL or path)" };
    public readonly Option<string> Branch = new("--branch") { Description = "With --git: the branch to follow (default: main)", DefaultValueFactory = _ => "main" };
    public readonly Option<string> GitPath = new("--git-path") { Description = "With --git: the sub-path of the repository holding the desired state", DefaultValueFactory = _ => "" };
    public readonly Option<string?> GitTokenFile = new("--git-token-file") { Description = "With --git over HTTPS: a file holding the access token" };
    public readonly Option<bool> GitAllowInsecureHttp = new("--git-allow-insecure-http") { Description = "With --git over plain http:// and --git-token-file: send the token anyway, in clear text (refused without this)" };
    public readonly Option<string?> GitSshKeyFile = new("--git-ssh-key-file") { Description = "With --git over SSH: the deploy key" };
    public readonly Option<string?> GitKnownHostsFile = new("--git-known-hosts-file") { Description = "With --git over SSH: the known_hosts file (strict host key checking)" };
    public readonly Option<string?> Host = new("--host") { Description = "The host identity to converge (default: this machine's hostname)" };
    public readonly Option<string[]> HostEnvFiles = new("--host-env-file") { Description = "A host-local env file with secret variables (repeatable; values are never printed)" };
    public readonly Option<string?> Policy = PolicyOption.Create();

    public readonly Option<string?> AgeKey = AgeKeyOption.Create();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Repo, Git, Branch, GitPath, GitTokenFile, GitAllowInsecureHttp, GitSshKeyFile, GitKnownHostsFile, Host, HostEnvFiles, Policy, AgeKey })
        {
            command.Options.Add(option);
        }
    }

    public string HostIdentity(ParseResult parseResult) => parseResult.GetValue(Host) ?? Environment.MachineName;

    /// <summary>The host-local inputs to loading; null (after printing why) when the --policy file is invalid or the age key must not be used.</summary>
    public SpecLoadOptions? LoadOptions(ParseResult parseResult, string command, TextWriter stderr)
    {
        if (!PolicyOption.Load(parseResult.GetValue(Policy), command, stderr, out var policy))
        {
            return null;
        }

        var (ageKey, error) = AgeKeyOption.Resolve(parseResult, AgeKey);
        if (error is not null)
        {
            stderr.WriteLine($"berth {command}: {error}");
            return null;
        }

        return new() { HostEnvFiles = parseResult.GetValue(HostEnvFiles) ?? [], Policy = policy, AgeKey = ageKey };
    }

    public DesiredStateOrigin Origin(ParseResult parseResult, string stateDirectory)
    {
        if (parseResult.GetValue(Git) is { } url)
        {
            return new DesiredStateOrigin.Git(new GitSourceOptions
            {
                Url = url,
                Branch = parseResult.GetValue(Branch) ?? "main",
                SubPath = parseResult.GetValue(GitPath) ?? "",
                CacheDirectory = Path.Combine(stateDirectory, "git"),
                AllowInsecureHttp = parseResult.GetValue(GitAllowInsecureHttp),
                Credentials = new GitCredentials
                {
                    TokenFile = parseResult.GetValue(GitTokenFile),
                    SshKeyFile = parseResult.GetValue(GitSshKeyFile),
                    KnownHostsFile = parseResult.GetValue(GitKnownHostsFile),
                },
            });
        }

        return new DesiredStateOrigin.Directory(parseResult.GetValue(Repo) ?? ".");
    }
}
