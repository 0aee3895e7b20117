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

    /// <summary>`spec.hostSecretsDirectory` of the daemon: give the same value to the CLI on a host whose daemon sets it.</summary>
    public static readonly Option<string?> HostSecretsDir = new("--host-secrets-dir")
    {
        Description = "The only host directory a Compose secret or config may name an absolute file: under (default: /etc/berth/secrets; the daemon's spec.hostSecretsDirectory)",
        Recursive = true,
    };

    /// <summary>`registries.configFile` of the daemon: the Docker config.json pulls and registry checks take credentials from.</summary>
    public static readonly Option<string?> RegistryConfig = new("--registry-config")
    {
        Description = "Docker client config.json with registry credentials (auths, credHelpers, credsStore) (default: /root/.docker/config.json; the daemon's registries.configFile)",
        Recursive = true,
    };

    /// <summary>`spec.secretFilesDirectory` of the daemon: where `apply` writes secret and config contents (a tmpfs).</summary>
    public static readonly Option<string?> SecretFilesDir = new("--secret-files-dir")
    {
        Description = "Where secret and config contents are written for the containers, on a tmpfs (default: /run/berth/files; the daemon's spec.secretFilesDirectory)",
        Recursive = true,
    };
}
