namespace Berth.Reconciler.Policy;

/// <summary>
/// Host paths as the kernel will see them when the engine mounts them: every symbolic link along the
/// path followed (as far as the path exists), `.`, `..`, repeated and trailing slashes resolved. A bind
/// mount is judged by where it really leads, so "/srv/data/link" pointing at "/etc" is /etc.
/// </summary>
internal static class HostPaths
{
    /// <summary>Linux gives up after 40 links (ELOOP); so does this.</summary>
    private const int MaxLinks = 40;

    /// <summary>
    /// The resolved absolute path, or null when it cannot be followed: the links loop (the kernel would
    /// refuse it too), or a directory along it cannot be read (a link there could lead anywhere).
    /// </summary>
    public static string? Resolve(string absolutePath)
    {
        // Where a path leads is an input of the load that asked (a link retargeted on the host changes what
        // the policy allows): a recording load keeps the answer, to follow the link again on the next pass.
        var resolved = ResolveUnrecorded(absolutePath);
        Spec.HostInputs.ResolvedPath(absolutePath, resolved);
        return resolved;
    }

    /// <summary><see cref="Resolve"/> without recording it: what <see cref="Spec.HostInputs"/> checks with.</summary>
    internal static string? ResolveUnrecorded(string absolutePath)
    {
        // Pending parts in order; a link's target is spliced in front of what follows it.
        var pending = new LinkedList<string>(Split(absolutePath));
        var resolved = new List<string>();
        var links = 0;
        while (pending.First is { } first)
        {
            pending.RemoveFirst();
            var part = first.Value;
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                // `..` applies to where the path really is, after the links before it (as the kernel does).
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = "/" + string.Join('/', resolved.Append(part));
            string? target;
            try
            {
                target = new FileInfo(candidate).LinkTarget;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return null;
            }

            if (target is null)
            {
                resolved.Add(part);
                continue;
            }

            if (++links > MaxLinks)
            {
                return null;
            }

            if (target.StartsWith('/'))
            {
                resolved.Clear();
            }

            foreach (var targetPart in Split(target).Reverse())
            {
                pending.AddFirst(targetPart);
            }
        }

        return "/" + string.Join('/', resolved);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="directory"/> or lies below it (both resolved).</summary>
    public static bool IsAtOrBelow(string path, string directory) =>
        path == directory || path.StartsWith(directory == "/" ? "/" : directory + "/", StringComparison.Ordinal);

    /// <summary>True when <paramref name="path"/> lies below <paramref name="directory"/>, not at it.</summary>
    public static bool IsStrictlyBelow(string path, string directory) => path != directory && IsAtOrBelow(path, directory);

    private static string[] Split(string path) => path.Split('/');
}
