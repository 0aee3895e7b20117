namespace Berth.Reconciler.Git;

/// <summary>Branch-name rules from git-check-ref-format, checked here so a bad name fails at config load, not at 3 a.m.</summary>
internal static class GitRefName
{
    public static bool IsValidBranchName(string? branch)
    {
        if (string.IsNullOrEmpty(branch) || branch.Length > 255)
        {
            return false;
        }

        // A leading '-' would be read as an option by git; "HEAD" and "@" are not branches.
        if (branch.StartsWith('-') || branch.StartsWith('/') || branch.EndsWith('/') || branch.EndsWith('.')
            || branch == "HEAD" || branch == "@" || branch.EndsWith(".lock", StringComparison.Ordinal)
            || branch.Contains("..", StringComparison.Ordinal) || branch.Contains("//", StringComparison.Ordinal)
            || branch.Contains("@{", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var character in branch)
        {
            if (character < 0x20 || character == 0x7f || character is ' ' or '~' or '^' or ':' or '?' or '*' or '[' or '\\')
            {
                return false;
            }
        }

        return branch.Split('/').All(segment => !segment.StartsWith('.'));
    }
}
