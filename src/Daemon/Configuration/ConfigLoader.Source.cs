using System.Text.RegularExpressions;

namespace Berth.Daemon.Configuration;

// berth.yaml `source:`: parsed and validated here, read by the git source.
public static partial class ConfigLoader
{
    /// <param name="section">The `source:` mapping, for positions in later checks; null when absent.</param>
    private static GitSourceSettings? ReadSource(YamlSection root, string baseDirectory, ConfigErrors errors, out YamlSection? section)
    {
        section = root.Section("source", SourceKeys);
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
        else if (HasUserInfoInHttpUrl(url.Value.Value))
        {
            // A token in the URL (user:token@ or a bare token@) would reach logs, `berth status`, git's
            // argv and the mirror's config: refuse any user-info, the secret belongs in a file.
            errors.Add(url.Value.At, $"source.url: '{RedactUserInfo(url.Value.Value)}' must not contain a user name, password or token before '@'; put a token in source.credentials.tokenFile (sent as a bearer header), or a user name and password in source.credentials.usernameFile and passwordFile");
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
            ReadExistingFile(credentialsSection, "knownHostsFile", baseDirectory, errors),
            ReadExistingFile(credentialsSection, "tokenFile", baseDirectory, errors));

        var signatures = ReadSignatures(section.Section("signatures", SignatureKeys), baseDirectory, errors);

        // The range (1s..1h) is GitSourceOptions' rule, reported by ValidateGitSource at this key.
        var fetchTimeout = ReadDuration(section, "fetchTimeout", GitSourceSettings.DefaultFetchTimeout, errors);
        var allowInsecureHttp = ReadAllowInsecureHttp(section, url?.Value, errors);
        return url is null ? null : new GitSourceSettings(url.Value.Value, branch, path, credentials, signatures, fetchTimeout) { AllowInsecureHttp = allowInsecureHttp };
    }

    // The opt-in for credentials over http:// (GitSourceOptions.AllowInsecureHttp refuses them otherwise).
    // Meaningless on any other URL: refused there, so it cannot linger unnoticed and apply to a later http:// URL.
    private static bool ReadAllowInsecureHttp(YamlSection section, string? url, ConfigErrors errors)
    {
        if (section.Scalar("allowInsecureHttp") is not { } value)
        {
            return false;
        }

        if (value.Value is not ("true" or "false"))
        {
            errors.Add(value.At, $"source.allowInsecureHttp: '{value.Value}' is not true or false");
            return false;
        }

        if (value.Value == "true" && url is not null && !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(value.At, "source.allowInsecureHttp: applies to http:// URLs only; remove it");
        }

        return value.Value == "true";
    }

    private static SignatureSettings ReadSignatures(YamlSection? section, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return new SignatureSettings(SignaturePolicy.None, null, null);
        }

        // Keys without a policy mean "required": whoever configured signing keys meant them to be
        // checked (Flux's verify habit), and silently applying unsigned commits is the unsafe reading.
        // `policy: none` keeps the keys configured but switches the check off, explicitly.
        var hasKeys = section.Has("allowedSignersFile") || section.Has("gpgKeyFile");
        var policy = hasKeys ? SignaturePolicy.Required : SignaturePolicy.None;
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

        var allowedSigners = ReadExistingFile(section, "allowedSignersFile", baseDirectory, errors);
        var gpgKeys = ReadExistingFile(section, "gpgKeyFile", baseDirectory, errors);
        if (policy == SignaturePolicy.Required && !section.Has("allowedSignersFile") && !section.Has("gpgKeyFile"))
        {
            errors.Add(section.KeyPosition("policy"), "source.signatures.allowedSignersFile or gpgKeyFile: required when policy is 'required'");
        }

        return new SignatureSettings(policy, allowedSigners, gpgKeys);
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:.+$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLikeUrlPattern();

    private static bool IsGitUrl(string url) =>
        ScpLikeUrlPattern().IsMatch(url)
        || System.IO.Path.IsPathFullyQualified(url)
        || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" or "ssh" or "file" or "git");

    // Any user-info, not only user:password: `https://ghp_TOKEN@github.com/...` carries the token as
    // the user name. ssh URLs keep their user (git@host:..., ssh://git@host/...): it is not a secret.
    private static bool HasUserInfoInHttpUrl(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
        && Authority(url).Contains('@', StringComparison.Ordinal);

    // The text between "://" and the next '/': where user-info lives (also an empty one, "https://@host").
    private static string Authority(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return "";
        }

        var start = schemeEnd + 3;
        var end = url.IndexOf('/', start);
        return end < 0 ? url[start..] : url[start..end];
    }

    // For messages: the whole user-info becomes "***" (a token may stand where the user name is).
    private static string RedactUserInfo(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            return url;
        }

        var at = Authority(url).LastIndexOf('@');
        return at < 0 ? url : $"{url[..(schemeEnd + 3)]}***{url[(schemeEnd + 3 + at)..]}";
    }

    private static bool IsBranchName(string branch) =>
        branch.Length > 0
        && !branch.StartsWith('-') && !branch.StartsWith('/') && !branch.EndsWith('/') && !branch.EndsWith(".lock", StringComparison.Ordinal)
        && !branch.Contains("..", StringComparison.Ordinal) && !branch.Contains("@{", StringComparison.Ordinal)
        && branch.All(c => c > ' ' && c != 0x7f && c is not ('~' or '^' or ':' or '?' or '*' or '[' or '\\'));
}
