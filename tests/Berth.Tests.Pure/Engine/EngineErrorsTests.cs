using System.Net;
using System.Net.Sockets;
using Berth.Reconciler.Engine;
using Docker.DotNet;

namespace Berth.Tests.Engine;

/// <summary>
/// The one classifier: how the Docker client's failures become berth's <see cref="EngineException"/>, and
/// which of them are "try again later" (never held against a revision, retried, "engine unavailable").
/// </summary>
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
        // The client's own request timeout, as Docker.DotNet.Enhanced 4.3.3 reports it (measured against a
        // socket that never answers): a plain cancellation the caller did not ask for.
        new TaskCanceledException("The operation was canceled.", new HttpRequestException("The operation was canceled.")),
        new OperationCanceledException(),
    };

    public static TheoryData<Exception> Refused() => new()
    {
        new DockerApiException(HttpStatusCode.NotFound, "{\"message\":\"No such image: app:1\"}"),
        new DockerApiException(HttpStatusCode.Conflict, "{\"message\":\"Conflict. The container name \\\"/shop-web-1\\\" is already in use\"}"),
        new DockerApiException(HttpStatusCode.BadRequest, "{\"message\":\"invalid mount config\"}"),
        new DockerApiException(HttpStatusCode.InternalServerError, "{\"message\":\"driver failed programming external connectivity on endpoint shop-web-1: Bind for 0.0.0.0:8080 failed: port is already allocated\"}"),
        new DockerApiException(HttpStatusCode.InternalServerError, "{\"message\":\"OCI runtime create failed: container_linux.go:380: starting container process caused: exec: \\\"htttpd\\\": executable file not found in $PATH: unknown\"}"),
        new DockerContainerNotFoundException(HttpStatusCode.NotFound, "{\"message\":\"No such container: shop-web-1\"}"),
    };

    [Theory]
    [MemberData(nameof(Transient))]
    public void Translate_EngineDidNotAnswerOrAnsweredWithAPassingServerError_IsTransient(Exception clientFailure)
    {
        var translated = EngineErrors.Translate(clientFailure, CancellationToken.None);

        Assert.NotNull(translated);
        Assert.Equal(EngineFailureKind.Transient, translated.Kind);
        Assert.True(EngineErrors.IsTransient(translated), clientFailure.Message);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void Translate_EngineRefusedOnItsMerits_IsRefusedWithTheClientsMessage(Exception clientFailure)
    {
        var translated = EngineErrors.Translate(clientFailure, CancellationToken.None);

        Assert.NotNull(translated);
        Assert.Equal(EngineFailureKind.Refused, translated.Kind);
        Assert.False(EngineErrors.IsTransient(translated), clientFailure.Message);
        // Users see this message in rollout evidence ("could not start: ..."): unchanged by the translation.
        Assert.Equal(clientFailure.Message, translated.Message);
        Assert.Equal(((DockerApiException)clientFailure).StatusCode, translated.StatusCode);
        Assert.Equal(((DockerApiException)clientFailure).ResponseBody, translated.ResponseBody);
    }

    [Fact]
    public void Translate_404_IsNotFound()
    {
        Assert.IsType<EngineNotFoundException>(EngineErrors.Translate(new DockerContainerNotFoundException(HttpStatusCode.NotFound, "gone"), CancellationToken.None));
        Assert.IsType<EngineNotFoundException>(EngineErrors.Translate(new DockerApiException(HttpStatusCode.NotFound, "No such network"), CancellationToken.None));
    }

    [Fact]
    public void Translate_ConnectionRefused_KeepsTheRootCauseForGetBaseException()
    {
        // The daemon and the CLI report exception.GetBaseException().Message, as they did before.
        var clientFailure = new HttpRequestException("Connection failed.", new SocketException((int)SocketError.ConnectionRefused));

        var translated = EngineErrors.Translate(clientFailure, CancellationToken.None)!;

        Assert.Equal(clientFailure.GetBaseException().Message, translated.GetBaseException().Message);
        Assert.Null(translated.StatusCode);
    }

    [Fact]
    public void Translate_ClientTimeout_SaysNothingAnsweredInsteadOfACancellation()
    {
        var translated = EngineErrors.Translate(new TaskCanceledException("The operation was canceled.", new HttpRequestException("The operation was canceled.")), CancellationToken.None)!;

        Assert.Equal("the engine did not answer in time (the request timed out)", translated.GetBaseException().Message);
    }

    [Fact]
    public void Translate_TheCallerCancelled_IsNoEngineFailure()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.Null(EngineErrors.Translate(new TaskCanceledException(), cancelled.Token));
        Assert.Null(EngineErrors.Translate(new OperationCanceledException(cancelled.Token), cancelled.Token));
    }

    [Fact]
    public void Translate_NotAnEngineFailure_IsLeftAlone()
    {
        Assert.Null(EngineErrors.Translate(new InvalidOperationException("unexpected step"), CancellationToken.None));
        Assert.Null(EngineErrors.Translate(new EngineException(EngineFailureKind.Refused, "already translated"), CancellationToken.None));
    }

    public static TheoryData<Exception> NotTransient() => new()
    {
        new ImagePullException("registry.example/app:1", "manifest for registry.example/app:1 not found: manifest unknown"),
        new ImagePullException("registry.example/app:1", "pull access denied for registry.example/app, repository does not exist or may require 'docker login'"),
        EngineErrors.Answer(HttpStatusCode.Conflict, "{\"message\":\"Conflict. The container name \\\"/shop-web-1\\\" is already in use\"}"),
        new InvalidOperationException("unexpected step"),
        new OperationCanceledException(),
        // Untranslated client failures are not berth's to classify: DockerContainerEngine translates them.
        new HttpRequestException("Connection refused"),
    };

    public static TheoryData<Exception> TransientEngineExceptions() => new()
    {
        new ImagePullException("registry.example/app:1", "Get \"https://registry.example/v2/\": dial tcp 10.0.0.5:443: i/o timeout"),
        new ImagePullException("registry.example/app:1", "received unexpected HTTP status: 503 Service Unavailable"),
        new ImagePullException("app:1", "toomanyrequests: You have reached your pull rate limit."),
        EngineErrors.Answer(HttpStatusCode.ServiceUnavailable, "restarting"),
        new EngineException(EngineFailureKind.Transient, "Connection refused"),
    };

    [Theory]
    [MemberData(nameof(TransientEngineExceptions))]
    public void IsTransient_TransientEngineException_True(Exception exception) =>
        Assert.True(EngineErrors.IsTransient(exception), exception.Message);

    [Theory]
    [MemberData(nameof(NotTransient))]
    public void IsTransient_RefusedOrNotAnEngineException_False(Exception exception) =>
        Assert.False(EngineErrors.IsTransient(exception), exception.Message);

    [Fact]
    public void Answer_ForFakes_ClassifiesAndWordsLikeTheTranslation()
    {
        var client = new DockerApiException(HttpStatusCode.Conflict, "{\"message\":\"name in use\"}");

        var answer = EngineErrors.Answer(HttpStatusCode.Conflict, "{\"message\":\"name in use\"}");

        Assert.Equal(EngineErrors.Translate(client, CancellationToken.None)!.Message, answer.Message);
        Assert.IsType<EngineNotFoundException>(EngineErrors.Answer(HttpStatusCode.NotFound, "gone"));
        Assert.True(EngineErrors.Answer(HttpStatusCode.InternalServerError, "restarting").IsTransient);
        Assert.False(EngineErrors.Answer(HttpStatusCode.InternalServerError, "port is already allocated").IsTransient);
    }

    [Theory]
    [InlineData("{\"message\":\"No such container: fdf2064cc133ec6f781cb8751e0711949c4967951e7bc2d7c6884774e829857b\"}")]
    [InlineData("{\"message\":\"network shop_default not found\"}")]
    [InlineData("{\"message\":\"No such network: shop_default\"}")]
    [InlineData("{\"message\":\"get shop_data: no such volume\"}")]
    public void IsVanished_A404ForAnObjectThePassObserved_IsDriftRetriedByTheNextPass(string responseBody)
    {
        var notFound = EngineErrors.Translate(new DockerApiException(HttpStatusCode.NotFound, responseBody), CancellationToken.None)!;

        Assert.True(EngineErrors.IsVanished(notFound));
        Assert.True(EngineErrors.IsVanished(EngineErrors.Answer(HttpStatusCode.NotFound, responseBody)));
        // Not retried in place: the same call meets the same 404; only a new observation helps.
        Assert.False(EngineErrors.IsTransient(notFound));
    }

    [Theory]
    [InlineData(HttpStatusCode.NotFound, "{\"message\":\"No such image: registry.example/shop/api:2.0\"}")]
    [InlineData(HttpStatusCode.NotFound, "{\"message\":\"pull access denied for shop/api, repository does not exist or may require 'docker login'\"}")]
    [InlineData(HttpStatusCode.Conflict, "{\"message\":\"Conflict. The container name \\\"/shop-api-1\\\" is already in use\"}")]
    [InlineData(HttpStatusCode.BadRequest, "{\"message\":\"No such container mentioned in a 400\"}")]
    public void IsVanished_AMissingImageOrAnotherRefusal_IsNot(HttpStatusCode statusCode, string responseBody)
    {
        Assert.False(EngineErrors.IsVanished(EngineErrors.Answer(statusCode, responseBody)));
        Assert.False(EngineErrors.IsVanished(new ImagePullException("shop/api:2.0", "manifest unknown")));
    }
}
