using System.Net;
using System.Net.Sockets;
using Berth.Reconciler.Engine;
using Docker.DotNet;

namespace Berth.Tests.Engine;

/// <summary>Which engine failures are "try again later" (never held against a revision) and which are not.</summary>
public sealed class EngineErrorsTests
{
    public static TheoryData<Exception> Transient() => new()
    {
        new DockerApiException(HttpStatusCode.InternalServerError, "{\"message\":\"error while creating mount source path\"}"),
        new DockerApiException(HttpStatusCode.ServiceUnavailable, ""),
        new DockerApiException(HttpStatusCode.TooManyRequests, "toomanyrequests"),
        new HttpRequestException("Connection refused (/var/run/docker.sock)", new SocketException((int)SocketError.ConnectionRefused)),
        new SocketException((int)SocketError.ConnectionReset),
        new TimeoutException("The operation has timed out."),
        new IOException("The response ended prematurely."),
        new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout", new TimeoutException()),
        new ImagePullException("registry.example/app:1", "Get \"https://registry.example/v2/\": dial tcp 10.0.0.5:443: i/o timeout"),
        new ImagePullException("registry.example/app:1", "received unexpected HTTP status: 503 Service Unavailable"),
        new ImagePullException("app:1", "toomanyrequests: You have reached your pull rate limit."),
    };

    public static TheoryData<Exception> NotTransient() => new()
    {
        new DockerApiException(HttpStatusCode.NotFound, "{\"message\":\"No such image: app:1\"}"),
        new DockerApiException(HttpStatusCode.Conflict, "{\"message\":\"Conflict. The container name \\\"/shop-web-1\\\" is already in use\"}"),
        new DockerApiException(HttpStatusCode.BadRequest, "{\"message\":\"invalid mount config\"}"),
        new DockerApiException(HttpStatusCode.InternalServerError, "{\"message\":\"driver failed programming external connectivity on endpoint shop-web-1: Bind for 0.0.0.0:8080 failed: port is already allocated\"}"),
        new DockerApiException(HttpStatusCode.InternalServerError, "{\"message\":\"OCI runtime create failed: container_linux.go:380: starting container process caused: exec: \\\"htttpd\\\": executable file not found in $PATH: unknown\"}"),
        new ImagePullException("registry.example/app:1", "manifest for registry.example/app:1 not found: manifest unknown"),
        new ImagePullException("registry.example/app:1", "pull access denied for registry.example/app, repository does not exist or may require 'docker login'"),
        new InvalidOperationException("unexpected step"),
        new OperationCanceledException(),
    };

    [Theory]
    [MemberData(nameof(Transient))]
    public void IsTransient_EngineOrRegistryDidNotAnswer_True(Exception exception) =>
        Assert.True(EngineErrors.IsTransient(exception), exception.Message);

    [Theory]
    [MemberData(nameof(NotTransient))]
    public void IsTransient_RefusedOnItsMeritsOrNotAnEngineError_False(Exception exception) =>
        Assert.False(EngineErrors.IsTransient(exception), exception.Message);
}
