namespace Berth.Tests.Infrastructure;

/// <summary>An ed25519 key pair made with ssh-keygen (no passphrase, mode 0600).</summary>
public sealed record SshKeyPair(string PrivateKeyPath, string PublicKey, string Principal)
{
    public static async Task<SshKeyPair> CreateAsync(string directory, string name, string principal)
    {
        var path = Path.Combine(directory, name);
        await TestProcess.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", path]);
        return new SshKeyPair(path, (await File.ReadAllTextAsync(path + ".pub")).Trim(), principal);
    }

    /// <summary>The allowed_signers line that trusts this key for git commits.</summary>
    public string AllowedSignersLine => $"{Principal} namespaces=\"git\" {PublicKey}";
}

/// <summary>A GPG signing key in its own home directory, with its public part exported to a file.</summary>
public sealed record GpgKey(string Home, string Fingerprint, string PublicKeyFile) : IAsyncDisposable
{
    public static async Task<GpgKey> CreateAsync(string directory, string name, string userId)
    {
        var home = Path.Combine(directory, name);
        Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string[] homeArguments = ["--homedir", home, "--batch", "--no-tty"];
        await TestProcess.RunAsync("gpg", [.. homeArguments, "--pinentry-mode", "loopback", "--passphrase", "", "--quick-generate-key", userId, "ed25519", "sign", "never"]);
        var listing = await TestProcess.RunAsync("gpg", [.. homeArguments, "--with-colons", "--list-keys", userId]);
        var fingerprint = listing.Split('\n').First(line => line.StartsWith("fpr:", StringComparison.Ordinal)).Split(':')[9];
        var publicKeyFile = Path.Combine(directory, name + ".asc");
        await File.WriteAllTextAsync(publicKeyFile, await TestProcess.RunAsync("gpg", [.. homeArguments, "--armor", "--export", fingerprint]));
        return new GpgKey(home, fingerprint, publicKeyFile);
    }

    /// <summary>Signing started a gpg-agent for this home: stop it, or it outlives the test.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await TestProcess.RunAsync("gpgconf", ["--homedir", Home, "--kill", "all"]);
        }
        catch (InvalidOperationException)
        {
            // Nothing was running.
        }
    }
}
