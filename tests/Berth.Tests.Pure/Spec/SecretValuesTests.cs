using Berth.Reconciler.Execution;
using Berth.Reconciler.Health;
using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec;

/// <summary>
/// Text berth copies from elsewhere (a container's log lines, its health-check output, an engine error) is
/// masked with the secret values the desired state was loaded with (issue 21).
/// </summary>
public sealed class SecretValuesTests
{
    [Fact]
    public void Mask_ValueInsideALogLine_IsHiddenLongestFirst()
    {
        var secrets = SecretValues.Of(["Sup3rSecret", "Sup3rSecretLonger"]);

        Assert.Equal("key=(hidden) other=(hidden)", secrets.Mask("key=Sup3rSecretLonger other=Sup3rSecret"));
    }

    [Fact]
    public void Mask_ShortValue_IsLeftInCopiedText()
    {
        // "db1" would blank every "db1" in every log line (and say which lines held it).
        Assert.Equal("connected to db1", SecretValues.Of(["db1"]).Mask("connected to db1"));
    }

    [Fact]
    public void ToString_NamesNoValue()
    {
        Assert.DoesNotContain("Sup3rSecret", SecretValues.Of(["Sup3rSecret"]).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void With_MoreValuesFromAnotherSource_AreMaskedToo()
    {
        // How another source of secrets (decrypted files, Compose secrets) adds its values.
        var secrets = SecretValues.Of(["FromEnvFile1"]).With(["FromSopsFile2"]);

        Assert.Equal("(hidden) (hidden)", secrets.Mask("FromEnvFile1 FromSopsFile2"));
    }

    [Fact]
    public void ExecutionReport_EvidenceAndMessages_AreMasked()
    {
        var evidence = new GateEvidence("web-1", "exited: Sup3rSecret rejected", 3, "probe saw Sup3rSecret", "DB_PASSWORD=Sup3rSecret\nbye");
        var report = new ExecutionReport([], [new ServiceOutcome("s/web", RolloutResult.RolledBack, "engine said Sup3rSecret", evidence)]);

        var masked = report.MaskedWith(SecretValues.Of(["Sup3rSecret"]));

        var text = masked.Services[0].Message + masked.Services[0].Evidence;
        Assert.DoesNotContain("Sup3rSecret", text, StringComparison.Ordinal);
        Assert.Contains("DB_PASSWORD=(hidden)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadedDesiredState_CarriesTheHostLocalValues()
    {
        var result = SpecTestRepository.Compose("services:\n  web:\n    image: busybox\n    environment: { K: \"${S}\" }\n")
            .LoadHost(options: new SpecLoadOptions { HostEnvironment = new Dictionary<string, string> { ["S"] = "Sup3rSecret" } });

        Assert.Equal("(hidden)", result.State!.Secrets.Mask("Sup3rSecret"));
    }
}
