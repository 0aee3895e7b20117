using System.Globalization;
using System.Runtime.InteropServices;

namespace Berth.Reconciler.Faults;

/// <summary>
/// A testing aid, off unless <c>BERTH_FAULT_INJECT</c> is set (docs/reliability.md): counts the
/// operations of a run that change the host (every mutating engine call, every durable write under the
/// state directory) and either writes them to a trace file or kills the process with a real SIGKILL
/// right before or right after operation n. The fault suite (tests/Berth.Tests.Faults) first traces a
/// scenario to learn its operations, then kills berth at each of them: the steps are enumerated by the
/// product, not picked by hand.
/// </summary>
/// <remarks>
/// Read once, at first use. Unset, <see cref="Active"/> is null and every hook is one static null
/// check: nothing is counted, nothing is wrapped (<see cref="FaultInjectingContainerEngine.Wrap"/>
/// returns the engine itself).
/// Values: <c>trace:PATH</c> appends one line per operation ("N OPERATION DETAIL") to PATH;
/// <c>before:N</c> or <c>after:N</c> kills the process right before or right after operation N (from 1),
/// optionally followed by <c>,trace:PATH</c>. Anything else is refused at start (a typo must not make a
/// fault test pass by injecting nothing).
/// </remarks>
public sealed partial class FaultInjection
{
    public const string EnvironmentVariable = "BERTH_FAULT_INJECT";

    private readonly Lock gate = new();
    private readonly string? tracePath;
    private readonly int killAt;
    private readonly bool killBefore;
    private int count;

    private FaultInjection(string? tracePath, int killAt, bool killBefore)
    {
        this.tracePath = tracePath;
        this.killAt = killAt;
        this.killBefore = killBefore;
    }

    private static readonly (FaultInjection? Active, string? Error) FromEnvironment = ReadEnvironment();

    /// <summary>The switch as the environment set it at start; null (the product's normal state) when unset or invalid.</summary>
    public static FaultInjection? Active => FromEnvironment.Active;

    /// <summary>Why the variable's value was refused; the program checks it at start and exits.</summary>
    public static string? ConfigurationError => FromEnvironment.Error;

    private static (FaultInjection?, string?) ReadEnvironment()
    {
        try
        {
            return (Parse(Environment.GetEnvironmentVariable(EnvironmentVariable)), null);
        }
        catch (ArgumentException invalid)
        {
            return (null, invalid.Message);
        }
    }

    /// <summary>Parses the variable's value; null for unset or empty.</summary>
    /// <exception cref="ArgumentException">The value is not one of the documented forms.</exception>
    public static FaultInjection? Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        string? trace = null;
        var killAt = 0;
        var killBefore = false;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var (mode, argument) = colon < 0 ? (part, "") : (part[..colon], part[(colon + 1)..]);
            switch (mode)
            {
                case "trace" when argument.Length > 0:
                    trace = argument;
                    break;
                case "before" or "after" when int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && killAt == 0:
                    killAt = n;
                    killBefore = mode == "before";
                    break;
                default:
                    throw new ArgumentException($"{EnvironmentVariable}: '{part}' is not trace:PATH, before:N or after:N (N from 1)");
            }
        }

        return new FaultInjection(trace, killAt, killBefore);
    }

    /// <summary>Runs one mutating operation through the switch: counted, traced, and killed around if it is the chosen one.</summary>
    public async Task<T> AroundAsync<T>(string operation, string detail, Func<Task<T>> call)
    {
        var number = Next(operation, detail);
        if (killBefore && number == killAt)
        {
            KillSelf();
        }

        var result = await call().ConfigureAwait(false);
        if (!killBefore && number == killAt)
        {
            KillSelf();
        }

        return result;
    }

    public Task AroundAsync(string operation, string detail, Func<Task> call) =>
        AroundAsync(operation, detail, async () => { await call().ConfigureAwait(false); return true; });

    /// <summary>The synchronous form, for the file writes of the live directory.</summary>
    public T Around<T>(string operation, string detail, Func<T> call)
    {
        var number = Next(operation, detail);
        if (killBefore && number == killAt)
        {
            KillSelf();
        }

        var result = call();
        if (!killBefore && number == killAt)
        {
            KillSelf();
        }

        return result;
    }

    public void Around(string operation, string detail, Action call) =>
        Around(operation, detail, () => { call(); return true; });

    private int Next(string operation, string detail)
    {
        // Rollouts of different services run concurrently: numbering and the trace line are one step.
        lock (gate)
        {
            var number = ++count;
            if (tracePath is not null)
            {
                File.AppendAllText(tracePath, string.Create(CultureInfo.InvariantCulture, $"{number} {operation} {detail}\n"));
            }

            return number;
        }
    }

    /// <summary>
    /// A real SIGKILL to this process, as a power cut or the OOM killer would end it: no finally block,
    /// no disposal, no flushed buffer runs (Environment.FailFast would still write a crash report).
    /// </summary>
    private static void KillSelf()
    {
        _ = Kill(Environment.ProcessId, 9);
        Environment.FailFast("BERTH_FAULT_INJECT: SIGKILL did not end the process");
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int processId, int signal);
}
