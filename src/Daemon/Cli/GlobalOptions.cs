using System.CommandLine;

namespace Berth.Daemon.Cli;

/// <summary>Options every subcommand accepts (declared once on the root, recursive).</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> DockerHost = new("--docker-host")
    {
        Description = "Docker Engine endpoint (default: $DOCKER_HOST, else unix:///var/run/docker.sock)",
        Recursive = true,
    };

    public static readonly Option<string?> StateDir = new("--state-dir")
    {
        Description = "Where berth keeps its own record of what it applied (default: /var/lib/berth)",
        Recursive = true,
    };

    /// <summary>`spec.secretFilesDirectory` of the daemon, for the CLI: `berth apply` writes secrets and configs there too.</summary>
    public static readonly Option<string?> SecretFilesDir = new("--secret-files-dir")
    {
        Description = "Where the contents of Compose secrets and configs are written for the containers; must be on a tmpfs (default: /run/berth/files, as the daemon's spec.secretFilesDirectory)",
        Recursive = true,
    };
}
