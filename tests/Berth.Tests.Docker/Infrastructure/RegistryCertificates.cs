using System.Diagnostics;

namespace Berth.Tests.Infrastructure;

/// <summary>
/// A CA and a server certificate for a TLS test registry, made with openssl in the registry's
/// temporary directory: ca.crt (the trust anchor berth and the engine are given), server.crt/server.key
/// (for <paramref name="ipAddress"/>, as a subjectAltName: clients ignore the CN).
/// </summary>
public static class RegistryCertificates
{
    public static async Task CreateAsync(string directory, string ipAddress)
    {
        string InDirectory(string name) => Path.Combine(directory, name);
        await RunAsync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=berth test registry CA", "-keyout", InDirectory("ca.key"), "-out", InDirectory("ca.crt")]);
        await RunAsync("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", $"/CN={ipAddress}",
            "-keyout", InDirectory("server.key"), "-out", InDirectory("server.csr")]);
        await File.WriteAllTextAsync(InDirectory("server.ext"), $"subjectAltName=IP:{ipAddress}\nextendedKeyUsage=serverAuth\n");
        await RunAsync("openssl", ["x509", "-req", "-in", InDirectory("server.csr"), "-CA", InDirectory("ca.crt"), "-CAkey", InDirectory("ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", InDirectory("server.ext"), "-out", InDirectory("server.crt")]);
    }

    /// <summary>Runs a tool to completion; its standard output, or an exception with its error output.</summary>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', startInfo.ArgumentList)} exited {process.ExitCode}: {await standardError}");
        }

        return await standardOutput;
    }
}
