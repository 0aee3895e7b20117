namespace Berth.Reconciler.Spec;

/// <summary>One problem in the desired-state repository, with the place to fix it.</summary>
/// <param name="File">Repository-relative path with '/' separators (a host-local env file keeps the path it was given).</param>
/// <param name="Line">1-based.</param>
/// <param name="Column">1-based.</param>
/// <param name="Message">What is wrong and, where it helps, how to fix it. Never contains a host-local (secret) value.</param>
public sealed record SpecError(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}
