namespace Berth.Daemon.Configuration;

// berth.yaml `http:`: the API token file and the host names accepted in the Host header.
public static partial class ConfigLoader
{
    private static HttpSettings ReadHttp(YamlSection? section, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return HttpSettings.Default;
        }

        var tokenFile = ReadExistingFile(section, "tokenFile", baseDirectory, errors);
        if (tokenFile is not null)
        {
            // Read once here so that a short or empty token fails the start, not the first `berth sync`.
            var length = File.ReadAllText(tokenFile).TrimEnd('\r', '\n').Length;
            if (length < HttpSettings.MinimumTokenLength)
            {
                errors.Add(section.KeyPosition("tokenFile"), $"http.tokenFile: '{tokenFile}' holds {length} characters; use at least {HttpSettings.MinimumTokenLength} (e.g. `openssl rand -hex 32`)");
                tokenFile = null;
            }
        }

        var allowedHosts = new List<string>();
        foreach (var (value, at) in section.Sequence("allowedHosts") ?? [])
        {
            if (HostNamePattern().IsMatch(value))
            {
                allowedHosts.Add(value.ToLowerInvariant());
            }
            else
            {
                errors.Add(at, $"http.allowedHosts: '{value}' is not a host name (without scheme or port, e.g. berth.example.com)");
            }
        }

        return new HttpSettings(tokenFile, allowedHosts);
    }
}
