namespace Berth.Daemon.Configuration;

/// <summary>One problem in the config file, at a 1-based line and column (0 when the problem is the file as a whole).</summary>
public sealed record ConfigError(string File, long Line, long Column, string Message)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}: {Message}";
}

/// <summary>The result of loading a config: either a config or every error found.</summary>
public sealed record ConfigLoadResult(DaemonConfig? Config, IReadOnlyList<ConfigError> Errors)
{
    public bool Succeeded => Config is not null && Errors.Count == 0;
}
