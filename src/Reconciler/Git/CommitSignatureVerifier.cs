using System.Security.Cryptography;
using System.Text;
using Berth.Reconciler.Processes;
using LibGit2Sharp;

namespace Berth.Reconciler.Git;

/// <summary>
/// Decides whether a commit's signature verifies against the configured keys. The cryptography is done
/// by the well-kept tools git itself uses (<c>ssh-keygen -Y</c> for SSH signatures, <c>gpg</c> for
/// OpenPGP ones); this class only extracts the signature (LibGit2Sharp), runs them, and reads their verdict.
/// </summary>
/// <remarks>
/// Fails closed: anything that is not a clear "good signature from a configured key" is
/// <see cref="SignatureStatus.Invalid"/> with a reason, including a tool that cannot run.
/// </remarks>
internal sealed class CommitSignatureVerifier(SignaturePolicy policy, string cacheDirectory, BoundedProcess processes, TimeSpan toolTimeout)
{
    // The namespace git uses for SSH commit signatures (ssh-keygen -Y sign -n git).
    private const string SshNamespace = "git";
    private const string SshArmorHeader = "-----BEGIN SSH SIGNATURE-----";
    private const string PgpArmorHeader = "-----BEGIN PGP SIGNATURE-----";

    private string KeyringDirectory => Path.Combine(cacheDirectory, "gnupg");

    private string ScratchRoot => Path.Combine(cacheDirectory, "tmp");

    /// <summary>
    /// Reads the signature out of the mirror's commit object as git stores it (`git cat-file commit`); null:
    /// the commit is unsigned. Not LibGit2Sharp's Commit.ExtractSignature: in the Native AOT binary berth ships,
    /// its output buffers (classes passed to libgit2 by value) came back empty, so every signed commit read as
    /// unsigned (found by the real-engine daemon test running the shipped binary).
    /// </summary>
    /// <exception cref="GitSourceException">git could not read the commit.</exception>
    public static async Task<(string Signature, string SignedData)?> ExtractAsync(
        BoundedProcess processes, string repositoryPath, string commitSha, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var outcome = await processes.RunToolAsync(
            new ProcessRequest("git", ["--git-dir", repositoryPath, "cat-file", "commit", commitSha])
            {
                WorkingDirectory = repositoryPath,
                Timeout = timeout,
                StandardOutputAsBytes = true,
            },
            cancellationToken).ConfigureAwait(false);
        if (outcome.TimedOut || outcome.ExitCode != 0 || outcome.StandardOutputBytes is not { } commit)
        {
            throw new GitSourceException(new GitError(
                GitFailureReason.LocalSetupError,
                $"git cat-file commit {commitSha} in {repositoryPath}: {(outcome.TimedOut ? "timed out" : outcome.StandardError.Trim())}"));
        }

        return SignatureOf(commit);
    }

    /// <summary>
    /// Splits a raw commit object into its signature (the <c>gpgsig</c> header's value, continuation lines
    /// joined without their leading space) and the data it signs (the object without that header), as
    /// git and libgit2 do. Null: no such header.
    /// </summary>
    internal static (string Signature, string SignedData)? SignatureOf(byte[] commit)
    {
        var text = Encoding.UTF8.GetString(commit);
        // Headers end at the first empty line; the message follows and is signed as it is.
        var headersEnd = text.IndexOf("\n\n", StringComparison.Ordinal);
        var headerText = headersEnd < 0 ? text : text[..(headersEnd + 1)];
        var lines = headerText.Split('\n');
        var signed = new StringBuilder();
        var signature = new List<string>();
        var inSignature = false;
        foreach (var line in lines.Take(lines.Length - 1))
        {
            if (line.StartsWith("gpgsig ", StringComparison.Ordinal))
            {
                inSignature = true;
                signature.Add(line["gpgsig ".Length..]);
                continue;
            }

            if (inSignature && line.StartsWith(' '))
            {
                signature.Add(line[1..]);
                continue;
            }

            inSignature = false;
            signed.Append(line).Append('\n');
        }

        if (signature.Count == 0)
        {
            return null;
        }

        var rest = headersEnd < 0 ? "" : text[(headersEnd + 1)..];
        return (string.Join('\n', signature) + "\n", signed + rest);
    }

    public async Task<SignatureCheck> VerifyAsync(string commitSha, string signature, string signedData, CancellationToken cancellationToken)
    {
        try
        {
            return await VerifyWithToolsAsync(commitSha, signature, signedData, cancellationToken).ConfigureAwait(false);
        }
        catch (GitSourceException exception)
        {
            // ssh-keygen or gpg missing: refuse, and say so.
            return SignatureCheck.Invalid(commitSha, $"cannot be verified: {exception.Error.Message}");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return SignatureCheck.Invalid(commitSha, $"cannot be verified: {exception.Message}");
        }
    }

    private async Task<SignatureCheck> VerifyWithToolsAsync(string commitSha, string signature, string signedData, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(ScratchRoot, $"verify-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var signatureFile = Path.Combine(scratch, "signature");
            var payloadFile = Path.Combine(scratch, "payload");
            await File.WriteAllTextAsync(signatureFile, signature, cancellationToken).ConfigureAwait(false);
            await File.WriteAllBytesAsync(payloadFile, Encoding.UTF8.GetBytes(signedData), cancellationToken).ConfigureAwait(false);

            if (signature.TrimStart().StartsWith(SshArmorHeader, StringComparison.Ordinal))
            {
                return policy.AllowedSignersFile is null
                    ? SignatureCheck.Invalid(commitSha, "has an SSH signature, but no allowedSignersFile is configured")
                    : await VerifySshAsync(commitSha, signatureFile, signedData, policy.AllowedSignersFile, cancellationToken).ConfigureAwait(false);
            }

            if (signature.TrimStart().StartsWith(PgpArmorHeader, StringComparison.Ordinal))
            {
                return policy.GpgPublicKeyFiles.Count == 0
                    ? SignatureCheck.Invalid(commitSha, "has a GPG signature, but no gpgPublicKeyFiles are configured")
                    : await VerifyGpgAsync(commitSha, signatureFile, payloadFile, cancellationToken).ConfigureAwait(false);
            }

            return SignatureCheck.Invalid(commitSha, "has a signature in an unsupported format (only SSH and OpenPGP signatures are accepted)");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private async Task<SignatureCheck> VerifySshAsync(string commitSha, string signatureFile, string signedData, string allowedSignersFile, CancellationToken cancellationToken)
    {
        // 1. Which principal does the allowed_signers file give the signing key? (No match: not ours.)
        var principals = await RunAsync("ssh-keygen", ["-Y", "find-principals", "-s", signatureFile, "-f", allowedSignersFile], null, cancellationToken).ConfigureAwait(false);
        var principal = principals.Succeeded
            ? principals.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()
            : null;
        if (principal is null)
        {
            // Say which key signed, so the operator can tell "forgot to add Bob's key" from "tampered".
            var unchecked_ = await RunAsync("ssh-keygen", ["-Y", "check-novalidate", "-n", SshNamespace, "-s", signatureFile], Encoding.UTF8.GetBytes(signedData), cancellationToken).ConfigureAwait(false);
            var key = FindFingerprint(unchecked_.StandardOutput + unchecked_.StandardError);
            return SignatureCheck.Invalid(commitSha, unchecked_.Succeeded
                ? $"is signed by SSH key {key ?? "(unknown fingerprint)"}, which is not in the allowed signers file"
                : $"has an SSH signature that does not verify ({GitErrorClassifier.Summarize(unchecked_.StandardError)})");
        }

        // 2. Does the signature verify for that principal, over exactly the commit's signed bytes?
        var verify = await RunAsync("ssh-keygen", ["-Y", "verify", "-f", allowedSignersFile, "-I", principal, "-n", SshNamespace, "-s", signatureFile], Encoding.UTF8.GetBytes(signedData), cancellationToken).ConfigureAwait(false);
        if (!verify.Succeeded)
        {
            return SignatureCheck.Invalid(commitSha, $"has an SSH signature for '{principal}' that does not verify ({GitErrorClassifier.Summarize(verify.StandardError + verify.StandardOutput)})");
        }

        var fingerprint = FindFingerprint(verify.StandardOutput + verify.StandardError);
        return SignatureCheck.Verified(commitSha, principal, $"good SSH signature by {principal}{(fingerprint is null ? "" : $" ({fingerprint})")}");
    }

    private async Task<SignatureCheck> VerifyGpgAsync(string commitSha, string signatureFile, string payloadFile, CancellationToken cancellationToken)
    {
        var keyringError = await EnsureKeyringAsync(cancellationToken).ConfigureAwait(false);
        if (keyringError is not null)
        {
            return SignatureCheck.Invalid(commitSha, keyringError);
        }

        var verify = await RunAsync("gpg", [.. GpgBaseArguments(), "--trust-model", "always", "--status-fd", "1", "--verify", signatureFile, payloadFile], null, cancellationToken).ConfigureAwait(false);
        var status = verify.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith("[GNUPG:] ", StringComparison.Ordinal))
            .Select(line => line["[GNUPG:] ".Length..])
            .ToList();
        var goodSignature = status.FirstOrDefault(line => line.StartsWith("GOODSIG ", StringComparison.Ordinal));
        var validSignature = status.FirstOrDefault(line => line.StartsWith("VALIDSIG ", StringComparison.Ordinal));

        // GOODSIG alone is not enough: EXPKEYSIG/REVKEYSIG replace it for expired or revoked keys, and
        // VALIDSIG carries the full fingerprint. Both plus exit code 0 is gpg's own "good".
        if (verify.Succeeded && goodSignature is not null && validSignature is not null)
        {
            var fingerprint = validSignature.Split(' ')[1];
            var userId = goodSignature.Split(' ', 3) is { Length: 3 } parts ? parts[2] : fingerprint;
            return SignatureCheck.Verified(commitSha, userId, $"good GPG signature by {userId} (key {fingerprint})");
        }

        var reason = status.FirstOrDefault(line => line.StartsWith("NO_PUBKEY ", StringComparison.Ordinal)) is { } noPublicKey
            ? $"is signed by GPG key {noPublicKey.Split(' ')[1]}, which is not among the configured keys"
            : status.FirstOrDefault(line => line.StartsWith("BADSIG ", StringComparison.Ordinal)) is not null
                ? "has a GPG signature that does not match its content (BADSIG)"
                : status.FirstOrDefault(line => line.StartsWith("EXPKEYSIG ", StringComparison.Ordinal) || line.StartsWith("REVKEYSIG ", StringComparison.Ordinal) || line.StartsWith("EXPSIG ", StringComparison.Ordinal)) is { } expired
                    ? $"has a GPG signature from an expired or revoked key ({expired.Split(' ')[0]})"
                    : $"has a GPG signature that does not verify ({GitErrorClassifier.Summarize(verify.StandardError)})";
        return SignatureCheck.Invalid(commitSha, reason);
    }

    /// <summary>
    /// Builds the private keyring from the configured key files, again only when their content
    /// changed. Private: the host's own ~/.gnupg trusts whatever its admin imported; here exactly the
    /// configured keys are trusted and nothing else.
    /// </summary>
    private async Task<string?> EnsureKeyringAsync(CancellationToken cancellationToken)
    {
        var contents = new List<byte[]>();
        foreach (var keyFile in policy.GpgPublicKeyFiles)
        {
            try
            {
                contents.Add(await File.ReadAllBytesAsync(keyFile, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return $"cannot read GPG public key file '{keyFile}': {exception.Message}";
            }
        }

        var fingerprint = Convert.ToHexString(SHA256.HashData(contents.SelectMany(content => SHA256.HashData(content)).ToArray()));
        var markerFile = Path.Combine(KeyringDirectory, "berth-keys.sha256");
        if (File.Exists(markerFile) && (await File.ReadAllTextAsync(markerFile, cancellationToken).ConfigureAwait(false)).Trim() == fingerprint)
        {
            return null;
        }

        if (Directory.Exists(KeyringDirectory))
        {
            Directory.Delete(KeyringDirectory, recursive: true);
        }

        // gpg warns about (and some versions refuse) a home directory others can read.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(KeyringDirectory);
        }
        else
        {
            Directory.CreateDirectory(KeyringDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        foreach (var keyFile in policy.GpgPublicKeyFiles)
        {
            var import = await RunAsync("gpg", [.. GpgBaseArguments(), "--import", keyFile], null, cancellationToken).ConfigureAwait(false);
            if (!import.Succeeded)
            {
                Directory.Delete(KeyringDirectory, recursive: true);
                return $"cannot import GPG public key file '{keyFile}' ({GitErrorClassifier.Summarize(import.StandardError)})";
            }
        }

        await File.WriteAllTextAsync(markerFile, fingerprint, cancellationToken).ConfigureAwait(false);
        return null;
    }

    // --no-autostart: verification needs no gpg-agent or dirmngr, and a daemon must not leave them running.
    private string[] GpgBaseArguments() => ["--homedir", KeyringDirectory, "--batch", "--no-tty", "--no-autostart", "--no-auto-key-retrieve"];

    private async Task<ProcessOutcome> RunAsync(string tool, IReadOnlyList<string> arguments, byte[]? input, CancellationToken cancellationToken)
    {
        var outcome = await processes.RunToolAsync(new ProcessRequest(tool, arguments) { StandardInput = input, Timeout = toolTimeout }, cancellationToken).ConfigureAwait(false);
        return outcome.TimedOut
            ? throw new GitSourceException(new GitError(GitFailureReason.Timeout, $"{tool} did not finish within {toolTimeout.TotalSeconds:0.#} s"))
            : outcome;
    }

    private static string? FindFingerprint(string text) =>
        text.Split([' ', '\n', '"', '\''], StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(word => word.StartsWith("SHA256:", StringComparison.Ordinal))?.TrimEnd('.', ',');
}
