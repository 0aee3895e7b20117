using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MimeKit;

namespace Berth.Tests.Fleet;

/// <summary>
/// A real SMTP server on loopback (Debian's python3-aiosmtpd, installed by scripts/ensure-smtp.sh),
/// run from smtp-server.py as this test's child process; it stores what it receives in a maildir.
/// Fails (does not skip) when aiosmtpd is missing.
/// </summary>
public sealed class LoopbackSmtpServer : IDisposable
{
    // Debian's python: a python3 earlier on PATH (pyenv) does not see Debian's aiosmtpd.
    private const string Python = "/usr/bin/python3";
    private readonly Process process;
    private readonly string directory = Directory.CreateTempSubdirectory("berth-smtp-").FullName;

    private LoopbackSmtpServer(int port, string? user, string? password)
    {
        Port = port;
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Fleet", "smtp-server.py"), "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture), MailDirectory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (user is not null)
        {
            start.Environment["SMTP_TEST_USER"] = user;
            start.Environment["SMTP_TEST_PASSWORD"] = password;
        }

        process = Process.Start(start) ?? throw new InvalidOperationException($"{Python} did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) { lock (errors) { errors.Add(line.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private readonly List<string> errors = [];

    public int Port { get; }

    public string MailDirectory => Path.Combine(directory, "mail");

    public static async Task<LoopbackSmtpServer> StartAsync(string? user = null, string? password = null)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var server = new LoopbackSmtpServer(port, user, password);
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (server.process.HasExited)
            {
                server.Dispose();
                throw new InvalidOperationException($"the SMTP server exited with {server.process.ExitCode} (is python3-aiosmtpd installed? scripts/ensure-smtp.sh): {string.Join("\n", server.errors)}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Waits for <paramref name="count"/> messages in the maildir and parses them.</summary>
    public async Task<IReadOnlyList<MimeMessage>> WaitForMessagesAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var newMail = Path.Combine(MailDirectory, "new");
        while (!Directory.Exists(newMail) || Directory.GetFiles(newMail).Length < count)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"the SMTP server did not receive {count} message(s) within {timeout.TotalSeconds:0} s: {string.Join("\n", errors)}");
            }

            await Task.Delay(50);
        }

        return [.. Directory.GetFiles(newMail).Order(StringComparer.Ordinal).Select(file => MimeMessage.Load(file))];
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        process.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
