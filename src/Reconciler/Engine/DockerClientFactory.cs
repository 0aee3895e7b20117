using Docker.DotNet;

namespace Berth.Reconciler.Engine;

/// <summary>
/// Creates the Docker.DotNet client berth talks to the engine with.
/// </summary>
/// <remarks>
/// No API version is pinned: requests go out unversioned, so the engine answers with its own
/// version. Pinning breaks one end of the fleet or the other (1.44 fails on Docker 20.10, and
/// Docker 29 refuses anything older than 1.44), and production hosts run 20.10 to 29.
/// </remarks>
public static class DockerClientFactory
{
    public const string DefaultEndpoint = "unix:///var/run/docker.sock";

    /// <summary>The endpoint to use: an explicit one, else $DOCKER_HOST, else the local unix socket.</summary>
    public static Uri ResolveEndpoint(string? explicitEndpoint)
    {
        var endpoint = explicitEndpoint;
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            endpoint = Environment.GetEnvironmentVariable("DOCKER_HOST");
        }

        if (string.IsNullOrWhiteSpace(endpoint))
        {
            endpoint = DefaultEndpoint;
        }

        return new Uri(endpoint, UriKind.Absolute);
    }

    public static IDockerClient Create(string? explicitEndpoint, TimeSpan? requestTimeout = null)
    {
        var builder = new DockerClientBuilder().WithEndpoint(ResolveEndpoint(explicitEndpoint));
        if (requestTimeout is { } timeout)
        {
            builder = builder.WithTimeout(timeout);
        }

        return builder.Build();
    }
}
