using System.CommandLine;
using Berth.Reconciler.Policy;

namespace Berth.Daemon.Cli;

/// <summary>
/// `--policy FILE` of validate, plan and apply: the host policy to check the desired state against
/// (docs/policy.md). Without it the CLI applies no policy, as on a workstation; the daemon takes its
/// policy from its own config instead.
/// </summary>
internal static class PolicyOption
{
    public static Option<string?> Create() => new("--policy")
    {
        Description = "Check the desired state against the host policy in this file's policy: section (e.g. /etc/berth/berth.yaml); default: no policy",
    };

    /// <summary>Reads the file; false (after printing every error) when it is invalid. No file: true, and no policy.</summary>
    public static bool Load(string? path, string command, TextWriter stderr, out HostPolicy? policy)
    {
        policy = null;
        if (path is null)
        {
            return true;
        }

        var loaded = HostPolicyFile.Load(path);
        if (loaded.Policy is null)
        {
            foreach (var error in loaded.Errors)
            {
                stderr.WriteLine(error);
            }

            stderr.WriteLine($"berth {command}: the policy file is invalid ({loaded.Errors.Length} error{(loaded.Errors.Length == 1 ? "" : "s")}); nothing was checked");
            return false;
        }

        policy = loaded.Policy;
        return true;
    }
}
