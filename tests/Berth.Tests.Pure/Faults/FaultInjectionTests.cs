using Berth.Reconciler.Faults;

namespace Berth.Tests.Faults;

/// <summary>The fault-injection switch's syntax (docs/reliability.md): a typo is refused, never ignored.</summary>
public sealed class FaultInjectionTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Parse_Unset_IsOff(string? value)
    {
        Assert.Null(FaultInjection.Parse(value));
    }

    [Theory]
    [InlineData("trace:/tmp/x")]
    [InlineData("before:1")]
    [InlineData("after:12")]
    [InlineData("after:3,trace:/tmp/x")]
    public void Parse_DocumentedForms_AreAccepted(string value)
    {
        Assert.NotNull(FaultInjection.Parse(value));
    }

    [Theory]
    [InlineData("list")]
    [InlineData("after:0")]
    [InlineData("after:-1")]
    [InlineData("after:x")]
    [InlineData("before:1,after:2")]
    [InlineData("trace:")]
    [InlineData("kill:3")]
    public void Parse_AnythingElse_IsRefusedWithTheVariableName(string value)
    {
        var refused = Assert.Throws<ArgumentException>(() => FaultInjection.Parse(value));
        Assert.StartsWith("BERTH_FAULT_INJECT: ", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AroundAsync_Traced_NumbersEveryOperationInOrder()
    {
        var trace = Path.GetTempFileName();
        try
        {
            var faults = FaultInjection.Parse($"trace:{trace}")!;
            await faults.AroundAsync("container-create", "a", () => Task.CompletedTask);
            faults.Around("live-switch", "b", () => { });

            Assert.Equal(["1 container-create a", "2 live-switch b"], File.ReadAllLines(trace));
        }
        finally
        {
            File.Delete(trace);
        }
    }
}
