using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec.Yaml;

/// <summary>
/// Host-local values (secrets) never appear in errors, whole or in pieces, and names, keys and paths
/// are never masked (issue 22, item 7). Through the loader, since that is where the masking is applied.
/// </summary>
public sealed class SecretMaskingTests
{
    private static string[] Errors(string yaml, params (string Name, string Value)[] hostVariables) =>
        SpecTestRepository.Errors(yaml, new SpecLoadOptions { HostEnvironment = hostVariables.ToDictionary(variable => variable.Name, variable => variable.Value) });

    [Fact]
    public void SecretSplitIntoVolumeOptions_NoPieceIsPrinted()
    {
        var errors = Errors("services:\n  web:\n    image: busybox\n    volumes: [\"data:/data:${OPTS}\"]\n", ("OPTS", "Head9q,Tail7x"));

        var error = Assert.Single(errors);
        Assert.DoesNotContain("Head9q", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Tail7x", error, StringComparison.Ordinal);
        Assert.Contains("unknown volume option", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortSecret_InAnErrorAboutItsValue_IsMasked()
    {
        var errors = Errors("services:\n  web:\n    image: busybox\n    volumes: [\"data:/data:${PIN}\"]\n", ("PIN", "zq7"));

        var error = Assert.Single(errors);
        Assert.DoesNotContain("zq7", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortSecret_ReachingAnotherErrorAsAWholeQuotedValue_IsMasked()
    {
        // Reported at the service, not at the scalar holding the secret: the net catches it.
        var errors = Errors("services:\n  web:\n    image: busybox\n    networks: [\"${NET}\"]\n", ("NET", "n9"));

        var error = Assert.Single(errors);
        Assert.Contains("unknown network '(hidden)'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretEqualToAServiceName_PathsAndNamesStayReadable()
    {
        var errors = Errors("services:\n  postgres:\n    image: busybox\n    tty: maybe\n    environment: { HOST: \"${DB_HOST}\" }\n", ("DB_HOST", "postgres"));

        var error = Assert.Single(errors);
        Assert.Contains("services.postgres.tty", error, StringComparison.Ordinal);
        Assert.DoesNotContain("(hidden)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretEqualToAServiceName_TheServiceNamedInAnotherError_StaysReadable()
    {
        // A host-local DB_HOST=postgres used to turn this into "service '(hidden)' depends on ...":
        // 'postgres' here is the service's key, which the repository shows to anyone.
        var errors = Errors("services:\n  postgres:\n    image: busybox\n    depends_on: [redis]\n  web:\n    image: busybox\n    environment: { HOST: \"${DB_HOST}\" }\n", ("DB_HOST", "postgres"));

        var error = Assert.Single(errors);
        Assert.StartsWith("4:18: service 'postgres' depends on unknown service 'redis'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretEqualToAServiceName_InsideAnotherValue_IsStillMasked()
    {
        var errors = Errors("services:\n  postgres:\n    image: busybox\n    env_file: \"${DB_HOST}.env\"\n", ("DB_HOST", "postgres"));

        var error = Assert.Single(errors);
        Assert.DoesNotContain("'postgres.env'", error, StringComparison.Ordinal);
        Assert.Contains("(hidden)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretWithAQuoteInside_NoPieceIsPrinted()
    {
        var errors = Errors("services:\n  web:\n    image: busybox\n    volumes: [\"data:/data:ro,${OPTS}\"]\n", ("OPTS", "Qz'Kw9x"));

        var error = Assert.Single(errors);
        Assert.DoesNotContain("Qz", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Kw9x", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretEqualToAServiceName_InAnErrorAboutTheSecretValue_PathStaysReadable()
    {
        var errors = Errors("services:\n  postgres:\n    image: busybox\n    healthcheck: { test: [CMD, x], retries: \"${DB_HOST}\" }\n", ("DB_HOST", "postgres"));

        var error = Assert.Single(errors);
        Assert.Contains("services.postgres.healthcheck.retries", error, StringComparison.Ordinal);
        Assert.Contains("host-local variable DB_HOST", error, StringComparison.Ordinal);
    }

    [Theory]
    // Found in review: each printed the whole secret. A secret holding a quote, after a dot (a dotted
    // word is not a key path), as the prefix of a longer value, bare outside quotes, in a nested default.
    [InlineData("networks: [\"${S}\"]", "Kw9'x7Tail", "x7Tail")]
    [InlineData("networks: [\"app.${S}\"]", "Sup3rSecret", "Sup3rSecret")]
    [InlineData("networks: [\"${S}-x\"]", "k9Z", "k9Z")]
    [InlineData("volumes: [\"${S}x:/data\"]", "Sup3rSecretName", "Sup3rSecretName")]
    [InlineData("tty: \"${NOPE:-${S}}\"", "Sup3rSecretName", "Sup3rSecretName")]
    [InlineData("ports: [\"${S}:80\"]", "ab:cd:ef", "cd:ef")]
    public void SecretReachingAnError_NoPartOfItIsPrinted(string serviceLine, string secret, string mustNotAppear)
    {
        var errors = Errors($"services:\n  web:\n    image: busybox\n    {serviceLine}\n", ("S", secret));

        Assert.NotEmpty(errors);
        Assert.All(errors, error => Assert.DoesNotContain(mustNotAppear, error, StringComparison.Ordinal));
    }

    [Fact]
    public void SecretUsedAsTwoContainerNames_NeitherErrorPrintsIt()
    {
        var errors = Errors("services:\n  a:\n    image: busybox\n    container_name: \"${S}\"\n  b:\n    image: busybox\n    container_name: \"${S}\"\n", ("S", "Sup3rSecretName"));

        Assert.NotEmpty(errors);
        Assert.All(errors, error => Assert.DoesNotContain("Sup3rSecretName", error, StringComparison.Ordinal));
    }

    [Fact]
    public void HostEnvFileValueWithADollar_LoadErrorShowsNoPartOfIt()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "DBPASS=pa$sw0rdTail\n");

            var result = SpecTestRepository.Compose("services:\n  web: { image: busybox }\n").LoadHost(options: new SpecLoadOptions { HostEnvFiles = [file] });

            var error = Assert.Single(result.Errors);
            Assert.DoesNotContain("sw0rd", error.ToString(), StringComparison.Ordinal);
            Assert.Contains("DBPASS", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
