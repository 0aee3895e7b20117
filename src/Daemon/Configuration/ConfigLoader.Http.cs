namespace Berth.Daemon.Configuration;

// berth.yaml `http:`: the API token file and the host names accepted in the Host header.
public static partial class ConfigLoader
{
    /// <summary>
    /// Off loopback, every endpoint but the probes, /metrics and the (signed) webhooks needs the token, and
    /// a token generated at each start in the state directory would reach nobody off the host: the operator
    /// must give one (issue 21). An invalid tokenFile has its own error already.
    /// </summary>
    private static void RequireTokenOffLoopback(System.Net.IPEndPoint listen, Berth.Reconciler.Spec.Yaml.Location listenAt, YamlSection? httpSection, ConfigErrors errors)
    {
        if (System.Net.IPAddress.IsLoopback(listen.Address) || httpSection?.Scalar("tokenFile") is not null)
        {
            return;
        }

        errors.Add(listenAt, $"listen: {listen} is not a loopback address, so the HTTP API needs a token others cannot guess: set http.tokenFile to a file holding at least {HttpSettings.MinimumTokenLength} characters, mode 0600 (e.g. `openssl rand -hex 32`); or listen on 127.0.0.1 (see docs/security.md)");
    }

    private static HttpSettings ReadHttp(YamlSection? section, string baseDirectory, ConfigErrors errors)
    {
        if (section is null)
        {
            return HttpSettings.Default;
        }

        var tokenFile = ReadExistingFile(section, "tokenFile", baseDirectory, errors);
        if (tokenFile is not null)
        {
            // Whoever reads the token may run passes and lift the failed-revision hold: like ssh with a key,
            // refuse a file others can read or write rather than trust it.
            var mode = OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(tokenFile);
            const UnixFileMode OthersMayAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
            // Read once here so that a short or empty token fails the start, not the first `berth sync`.
            var length = Http.ApiToken.ReadFile(tokenFile).Length;
            if ((mode & OthersMayAccess) != 0)
            {
                errors.Add(section.KeyPosition("tokenFile"), $"http.tokenFile: '{tokenFile}' can be read or written by other users (mode {Convert.ToString((int)mode, 8)}); make it 0600 or 0400 (chmod 600)");
                tokenFile = null;
            }
            else if (length < HttpSettings.MinimumTokenLength)
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
