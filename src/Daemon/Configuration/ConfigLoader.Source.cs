using System.Text.RegularExpressions;

namespace Berth.Daemon.Configuration;

// berth.yaml `source:`: parsed and validated here, read by the git source.
public static partial class ConfigLoader
{
    private static GitSourceSettings? ReadSource(YamlSection root, string baseDirectory, ConfigErrors errors)
    {
        var section = root.Section("source", SourceKeys);
        if (section is null)
        {
            errors.Add(root.Has("source") ? root.KeyPosition("source") : root.Start, "source: required (the git repository with the desired state: source.url, source.branch)");
            return null;
        }

        var url = section.Scalar("url");
        if (url is null)
        {
            errors.Add(section.Start, "source.url: required");
        }
        else if (!IsGitUrl(url.Value.Value))
        {
            errors.Add(url.Value.At, $"source.url: '{RedactUserInfo(url.Value.Value)}' is not a git URL (https://, http://, ssh://, file://, user@host:path or an absolute path)");
        }
        else if (HasPasswordInUrl(url.Value.Value))
        {
            // A token in the URL would end up in logs and in `berth status`: make it a file.
            errors.Add(url.Value.At, "source.url: must not contain a password or token; put it in source.credentials.passwordFile");
        }

        var branch = section.Scalar("branch")?.Value ?? "main";
        if (section.Scalar("branch") is { } branchValue && !IsBranchName(branchValue.Value))
        {
            errors.Add(branchValue.At, $"source.branch: '{branchValue.Value}' is not a branch name (e.g. main; no spaces, '..', '~', '^', ':', '?', '*', '[', '\\')");
        }

        var path = "";
        if (section.Scalar("path") is { } pathValue)
        {
            var normalised = pathValue.Value.Trim('/');
            if (normalised.Split('/').Any(part => part is ".." or "."))
            {
                errors.Add(pathValue.At, $"source.path: '{pathValue.Value}' must be a sub-directory of the repository, without '.' or '..'");
            }

            path = normalised;
        }

        var credentialsSection = section.Section("credentials", CredentialKeys);
        var credentials = new GitCredentialFiles(
            ReadExistingFile(credentialsSection, "usernameFile", baseDirectory, errors),
            ReadExistingFile(credentialsSection, "passwordFile", baseDirectory, errors),
            ReadExistingFile(credentialsSection, "sshKeyFile", baseDirectory, errors),
            ReadExistingFile(credentialsSection, "knownHostsFile", baseDirectory, errors));

        var signatures = ReadSignatures(section.Section("signatures", SignatureKeys), baseDirectory, errors);
        return url is null ? null : new GitSourceSettings(url.Value.Value, branch, path, credentials, signatures);
    }

    private static SignatureSettings ReadSignatures(YamlSection? section, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return new SignatureSettings(SignaturePolicy.None, null);
        }

        var policy = SignaturePolicy.None;
        if (section.Scalar("policy") is { } policyValue)
        {
            switch (policyValue.Value)
            {
                case "none": policy = SignaturePolicy.None; break;
                case "required": policy = SignaturePolicy.Required; break;
                default:
                    errors.Add(policyValue.At, $"source.signatures.policy: '{policyValue.Value}' is not one of none, required");
                    break;
            }
        }

        var trustedKeys = ReadExistingFile(section, "trustedKeysFile", baseDirectory, errors);
        if (policy == SignaturePolicy.Required && trustedKeys is null && !section.Has("trustedKeysFile"))
        {
            errors.Add(section.KeyPosition("policy"), "source.signatures.trustedKeysFile: required when policy is 'required'");
        }

        return new SignatureSettings(policy, trustedKeys);
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:.+$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLikeUrlPattern();

    private static bool IsGitUrl(string url) =>
        ScpLikeUrlPattern().IsMatch(url)
        || System.IO.Path.IsPathFullyQualified(url)
        || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "file" or "git");

    private static bool HasPasswordInUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && uri.UserInfo.Contains(':', StringComparison.Ordinal);

    private static string RedactUserInfo(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0 ? url.Replace(uri.UserInfo + "@", "***@", StringComparison.Ordinal) : url;

    private static bool IsBranchName(string branch) =>
        branch.Length > 0
        && !branch.StartsWith('-') && !branch.StartsWith('/') && !branch.EndsWith('/') && !branch.EndsWith(".lock", StringComparison.Ordinal)
        && !branch.Contains("..", StringComparison.Ordinal) && !branch.Contains("@{", StringComparison.Ordinal)
        && branch.All(c => c > ' ' && c != 0x7f && c is not ('~' or '^' or ':' or '?' or '*' or '[' or '\\'));
}
