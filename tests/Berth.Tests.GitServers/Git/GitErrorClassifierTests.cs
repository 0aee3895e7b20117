using Berth.Reconciler.Git;

namespace Berth.Tests.Git;

/// <summary>Real stderr seen from git 2.39 / OpenSSH 9.2 / curl, mapped to what the daemon must do.</summary>
public sealed class GitErrorClassifierTests
{
    [Theory]
    [InlineData("No ED25519 host key is known for [127.0.0.1]:41775 and you have requested strict checking.\nHost key verification failed.\nfatal: Could not read from remote repository.", GitFailureReason.HostKeyRejected)]
    [InlineData("Host key for [127.0.0.1]:46031 has changed and you have requested strict checking.\nHost key verification failed.", GitFailureReason.HostKeyRejected)]
    [InlineData("root@127.0.0.1: Permission denied (publickey).\nfatal: Could not read from remote repository.", GitFailureReason.AuthenticationFailed)]
    [InlineData("fatal: could not read Username for 'http://127.0.0.1:33085': terminal prompts disabled", GitFailureReason.AuthenticationFailed)]
    [InlineData("fatal: Authentication failed for 'https://example.com/state.git/'", GitFailureReason.AuthenticationFailed)]
    [InlineData("fatal: remote error: no such repository: /missing.git", GitFailureReason.RepositoryNotFound)]
    [InlineData("remote: Repository not found.\nfatal: repository 'https://example.com/x.git/' not found", GitFailureReason.RepositoryNotFound)]
    [InlineData("fatal: unable to access 'https://example.com/x.git/': The requested URL returned error: 502", GitFailureReason.ServerError)]
    [InlineData("fatal: unable to access 'https://example.com/x.git/': Could not resolve host: example.com", GitFailureReason.NetworkError)]
    [InlineData("fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused", GitFailureReason.NetworkError)]
    [InlineData("Connection timed out during banner exchange\nConnection to 127.0.0.1 port 42469 timed out\nfatal: Could not read from remote repository.", GitFailureReason.Timeout)]
    [InlineData("fatal: unable to access 'https://example.com/x.git/': SSL certificate problem: self-signed certificate", GitFailureReason.CertificateRejected)]
    [InlineData("Load key \"/etc/berth/deploy_key\": bad permissions\ngit@example.com: Permission denied (publickey).", GitFailureReason.CredentialsUnreadable)]
    [InlineData("error: insufficient permission for adding an object to repository database ./objects", GitFailureReason.LocalSetupError)]
    [InlineData("error: object 687c8361bd3baf8dc39ce08b700528eefbc41b54: hasDotdot: contains '..'\nfatal: fsck error in packed object\nfatal: index-pack failed", GitFailureReason.InvalidTree)]
    [InlineData("fatal: something git 2.60 says that we have never seen", GitFailureReason.Unknown)]
    public void Classify_RealGitMessages_MapToTheRightReason(string standardError, GitFailureReason expected)
    {
        Assert.Equal(expected, GitErrorClassifier.Classify(standardError));
    }

    [Fact]
    public void Summarize_LongOutput_KeepsTheFatalLines()
    {
        var standardError = string.Join('\n', Enumerable.Range(0, 50).Select(index => $"remote: noise {index}")) + "\nfatal: the one line that matters\n";

        Assert.Equal("fatal: the one line that matters", GitErrorClassifier.Summarize(standardError));
    }

    [Theory]
    [InlineData("fatal: unable to access 'https://deploy:hunter2@example.com/state.git/'", "fatal: unable to access 'https://***@example.com/state.git/'")]
    [InlineData("Fetching https://ghp_TOKEN@github.com/org/repo.git", "Fetching https://***@github.com/org/repo.git")]
    [InlineData("from http://ghp_TOKEN:@example.com/a and https://x:y@example.com/b", "from http://***@example.com/a and https://***@example.com/b")]
    [InlineData("ssh://deploy:hunter2@example.com/state.git", "ssh://***@example.com/state.git")]
    public void ScrubUserInfo_AnyUserInfo_IsRemovedWhole(string text, string expected)
    {
        Assert.Equal(expected, GitRemoteUrl.ScrubUserInfo(text));
    }

    [Theory]
    [InlineData("fatal: could not read from ssh://git@example.com/state.git")]
    [InlineData("git@example.com:ops/state.git")]
    [InlineData("https://example.com/state.git")]
    public void ScrubUserInfo_SshUserOrNoUserInfo_IsKept(string text)
    {
        Assert.Equal(text, GitRemoteUrl.ScrubUserInfo(text));
    }

    [Fact]
    public void IndicatesCorruptMirror_GitSaysTheMirrorIsNotARepository_BlamesTheMirror()
    {
        // git 2.39 fetching into a mirror whose HEAD is garbage (issue #20's corrupted clone).
        const string stderr = "fatal: not a git repository: '/var/lib/berth/git/repository.git'";

        Assert.True(GitErrorClassifier.IndicatesCorruptMirror(stderr, "/var/lib/berth/git/repository.git"));
    }

    [Fact]
    public void IndicatesCorruptMirror_GitSaysTheSourceIsNotARepository_BlamesTheServer()
    {
        // A source reached by path that is gone: the mirror is fine, rebuilding it would not help.
        const string stderr = "fatal: '/srv/state.git' does not appear to be a git repository\nfatal: not a git repository: '/srv/state.git'";

        Assert.False(GitErrorClassifier.IndicatesCorruptMirror(stderr, "/var/lib/berth/git/repository.git"));
    }
}
