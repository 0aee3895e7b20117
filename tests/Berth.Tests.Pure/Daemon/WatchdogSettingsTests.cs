using Berth.Daemon.Systemd;

namespace Berth.Tests.Daemon;

public sealed class WatchdogSettingsTests
{
    private static Dictionary<string, string?> Environment(params (string Name, string Value)[] variables) =>
        variables.ToDictionary(variable => variable.Name, variable => (string?)variable.Value, StringComparer.Ordinal);

    [Fact]
    public void FromEnvironment_UsecSetWithoutPid_EnabledAtHalfTheInterval()
    {
        var settings = WatchdogSettings.FromEnvironment(Environment(("WATCHDOG_USEC", "30000000")), processId: 42);

        Assert.Equal(TimeSpan.FromSeconds(30), settings!.Interval);
        Assert.Equal(TimeSpan.FromSeconds(15), settings.PingPeriod);
    }

    [Fact]
    public void FromEnvironment_PidMatches_Enabled() =>
        Assert.NotNull(WatchdogSettings.FromEnvironment(Environment(("WATCHDOG_USEC", "2000000"), ("WATCHDOG_PID", "42")), processId: 42));

    [Fact]
    public void FromEnvironment_PidIsAnotherProcess_Disabled() =>
        Assert.Null(WatchdogSettings.FromEnvironment(Environment(("WATCHDOG_USEC", "2000000"), ("WATCHDOG_PID", "41")), processId: 42));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("ten")]
    public void FromEnvironment_NoUsableUsec_Disabled(string? usec)
    {
        var environment = usec is null ? Environment() : Environment(("WATCHDOG_USEC", usec));

        Assert.Null(WatchdogSettings.FromEnvironment(environment, processId: 42));
    }

    [Fact]
    public void IsSystemdExecPid_MatchesOnlyOwnPid()
    {
        Assert.True(SystemdIntegration.IsSystemdExecPid(Environment(("SYSTEMD_EXEC_PID", "42")), 42));
        Assert.False(SystemdIntegration.IsSystemdExecPid(Environment(("SYSTEMD_EXEC_PID", "7")), 42));
        Assert.False(SystemdIntegration.IsSystemdExecPid(Environment(), 42));
    }

    [Fact]
    public void StatusText_MultiLineSummary_IsOneShortLine()
    {
        var text = SystemdStatusReporter.OneLine("STATUS=failed:\nline two\n" + new string('x', 500));

        Assert.DoesNotContain('\n', text);
        Assert.Equal(200, text.Length);
    }
}
