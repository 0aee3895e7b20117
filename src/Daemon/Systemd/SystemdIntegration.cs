using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Console;

namespace Berth.Daemon.Systemd;

/// <summary>
/// systemd integration: READY=1 / STOPPING=1 and the journal log format come from
/// Microsoft.Extensions.Hosting.Systemd (<c>UseSystemd()</c>); STATUS= and WATCHDOG=1 are berth's
/// (<see cref="SystemdStatusReporter"/>, <see cref="WatchdogService"/>).
/// </summary>
internal static class SystemdIntegration
{
    /// <summary>
    /// True when this process is a systemd service. The hosting package decides by looking at the parent
    /// process in /proc (is it PID 1 named "systemd"?), which <c>ProtectProc=invisible</c> hides; systemd
    /// 248+ also exports SYSTEMD_EXEC_PID, which we accept as well.
    /// </summary>
    public static bool IsSystemdService(IReadOnlyDictionary<string, string?> environment, int processId) =>
        SystemdHelpers.IsSystemdService() || IsSystemdExecPid(environment, processId);

    public static bool IsSystemdExecPid(IReadOnlyDictionary<string, string?> environment, int processId) =>
        environment.TryGetValue("SYSTEMD_EXEC_PID", out var execPid)
        && int.TryParse(execPid, out var pid)
        && pid == processId;

    public static void Add(IHostBuilder hostBuilder, IReadOnlyDictionary<string, string?> environment)
    {
        hostBuilder.UseSystemd();
        if (SystemdHelpers.IsSystemdService() || !IsSystemdExecPid(environment, Environment.ProcessId))
        {
            return;
        }

        // What UseSystemd() does when its own detection succeeds.
        hostBuilder.ConfigureServices(services =>
        {
            services.Configure<ConsoleLoggerOptions>(options => options.FormatterName = ConsoleFormatterNames.Systemd);
            services.TryAddSingleton<ISystemdNotifier, SystemdNotifier>();
            services.AddSingleton<IHostLifetime, SystemdLifetime>();
        });
    }

    /// <summary>A snapshot of the environment (tests pass their own).</summary>
    public static IReadOnlyDictionary<string, string?> CurrentEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string;
        }

        return result;
    }
}
