using System.Text;
using System.Text.Json;
using Berth.Reconciler.Secrets.Files;
using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Spec.Compose;

/// <summary>Compose `secrets:` and `configs:`: definitions, references, targets, errors, and the keyed content hash.</summary>
public sealed class FileObjectReaderTests : IDisposable
{
    private const string Password = "Sup3r-s3cret-pw";
    private readonly string hostSecrets = Directory.CreateTempSubdirectory("berth-host-secrets-").FullName;
    private readonly FileSourceOptions sources;

    public FileObjectReaderTests() => sources = new FileSourceOptions(hostSecrets, ContentKeyring.Ephemeral());

    public void Dispose() => Directory.Delete(hostSecrets, recursive: true);

    private SpecLoadOptions Options => new() { FileSources = sources };

    private HostLoadResult Load(string yaml, string passwordFile = Password, IReadOnlyDictionary<string, string>? environment = null) =>
        SpecTestRepository.Compose("name: app\n" + yaml).With("db_password.txt", passwordFile).With("conf/nginx.conf", "worker_processes 1;\n")
            .LoadHost(options: Options with { HostEnvironment = environment ?? new Dictionary<string, string>() });

    private ServiceSpec LoadWeb(string yaml, string passwordFile = Password, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = Load(yaml, passwordFile, environment);
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        return Assert.Single(result.State!.Stacks[0].Services);
    }

    private string[] Errors(string yaml) =>
        [.. Load(yaml).Errors.Select(error => $"{error.Line}:{error.Column}: {error.Message}")];

    [Fact]
    public void Secret_ShortSyntax_MountsUnderRunSecretsReadByItsOwnerOnly()
    {
        var web = LoadWeb("services:\n  web:\n    image: busybox\n    secrets: [db_password]\nsecrets:\n  db_password:\n    file: ./db_password.txt\n");

        var secret = Assert.Single(web.Container.Secrets);
        Assert.Equal(("db_password", "/run/secrets/db_password", FileMountSpec.DefaultMode), (secret.Name, secret.Target, secret.EffectiveMode));
        Assert.Equal(Password, Encoding.UTF8.GetString(secret.Content!.Bytes.AsSpan()));
        Assert.Equal(sources.Keyring.Hash(Encoding.UTF8.GetBytes(Password)), secret.ContentKey);
        Assert.Contains("secrets", web.FieldHashes.Keys);
    }

    [Fact]
    public void References_LongSyntax_TakeTargetUidGidAndOctalMode()
    {
        var web = LoadWeb(
            "services:\n  web:\n    image: busybox\n" +
            "    secrets: [{ source: db_password, target: pw, uid: \"103\", gid: \"104\", mode: 0440 }]\n" +
            "    configs: [nginx, { source: nginx, target: /etc/nginx/nginx.conf, mode: 0o444 }]\n" +
            "secrets:\n  db_password: { file: ./db_password.txt }\nconfigs:\n  nginx: { file: ./conf/nginx.conf }\n");

        var secret = Assert.Single(web.Container.Secrets);
        Assert.Equal(("/run/secrets/pw", 103, 104, 0x120), (secret.Target, secret.Uid, secret.Gid, secret.Mode));
        Assert.Equal(["/etc/nginx/nginx.conf", "/nginx"], web.Container.Configs.Select(config => config.Target));
        Assert.Equal(0x124, web.Container.Configs[0].Mode);
    }

    [Fact]
    public void Config_FromContentAndSecret_FromEnvironment_TakeTheirValues()
    {
        var web = LoadWeb(
            "services:\n  web:\n    image: busybox\n    secrets: [token]\n    configs: [motd]\n" +
            "secrets:\n  token: { environment: API_TOKEN }\nconfigs:\n  motd: { content: \"hello ${WHO}\" }\n",
            environment: new Dictionary<string, string> { ["API_TOKEN"] = "tok-123456", ["WHO"] = "world" });

        Assert.Equal("tok-123456", Encoding.UTF8.GetString(web.Container.Secrets[0].Content!.Bytes.AsSpan()));
        Assert.Equal("hello world", Encoding.UTF8.GetString(web.Container.Configs[0].Content!.Bytes.AsSpan()));
    }

    [Fact]
    public void ChangedContent_ChangesTheConfigHash_TheSameContentKeepsIt()
    {
        const string yaml = "services:\n  web:\n    image: busybox\n    secrets: [db_password]\nsecrets:\n  db_password: { file: ./db_password.txt }\n";

        var first = LoadWeb(yaml);
        var same = LoadWeb(yaml);
        var changed = LoadWeb(yaml, passwordFile: "another-password");

        Assert.Equal(first.ConfigHash, same.ConfigHash);
        Assert.NotEqual(first.ConfigHash, changed.ConfigHash);
        Assert.Equal(["secrets"], ConfigHasher.ChangedFields(first.FieldHashes, changed.FieldHashes).ToArray());
    }

    [Fact]
    public void ContentKey_IsKeyed_AnotherHostKeyGivesAnotherHash_AndNoPlainHashOrContentIsSerialised()
    {
        var bytes = Encoding.UTF8.GetBytes(Password);
        var web = LoadWeb("services:\n  web:\n    image: busybox\n    secrets: [db_password]\nsecrets:\n  db_password: { file: ./db_password.txt }\n");

        // What the state file and the plan JSON hold of the spec.
        var json = JsonSerializer.Serialize(web);

        Assert.NotEqual(ContentKeyring.Ephemeral().Hash(bytes), sources.Keyring.Hash(bytes));
        Assert.DoesNotContain(Password, json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16], json, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, web.ToString(), StringComparison.Ordinal);
        Assert.Contains(web.Container.Secrets[0].ContentKey, json, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceWithoutSecrets_KeepsTheConfigHashItHadBefore()
    {
        var before = SpecTestRepository.LoadService("image: busybox\n");
        var now = LoadWeb("services:\n  web:\n    image: busybox\nsecrets:\n  db_password: { file: ./db_password.txt }\n");

        Assert.Equal(before.ConfigHash, now.ConfigHash);
    }

    [Theory]
    [InlineData("services:\n  web:\n    image: busybox\n    secrets: [db_pasword]\nsecrets:\n  db_password: { file: ./db_password.txt }\n",
        "5:15: service 'web' uses unknown secret 'db_pasword'; define it under the top-level secrets:, did you mean 'db_password'?")]
    [InlineData("services:\n  web:\n    image: busybox\n    configs: [{ target: /x }]\n",
        "5:15: services.web.configs item needs 'source': the config's name under the top-level configs:")]
    [InlineData("services:\n  web: { image: busybox }\nsecrets:\n  s: { name: real }\n",
        "5:8: 'secrets.s.name' is not supported by berth; it names a Swarm object: berth runs Compose without Swarm; the key is the name")]
    [InlineData("services:\n  web: { image: busybox }\nsecrets:\n  s: {}\n",
        "5:3: secrets.s needs exactly one source: file or environment")]
    [InlineData("services:\n  web: { image: busybox }\nconfigs:\n  c: { file: ./conf/nginx.conf, content: x }\n",
        "5:42: configs.c needs exactly one source: file, environment or content, not several")]
    [InlineData("services:\n  web: { image: busybox }\nsecrets:\n  s: { content: x }\n",
        "5:8: unknown key 'content' in secrets.s")]
    [InlineData("services:\n  web: { image: busybox }\nconfigs:\n  c: { file: ../outside.conf }\n",
        "5:14: configs.c.file: '../outside.conf' leads out of the repository; write a path inside it, relative to the Compose file, or an absolute path under the host's secrets directory")]
    [InlineData("services:\n  web: { image: busybox }\nconfigs:\n  c: { file: ./missing.conf }\n",
        "5:14: configs.c: file 'missing.conf' does not exist in the repository")]
    [InlineData("services:\n  web: { image: busybox }\nsecrets:\n  s: { environment: NOT_SET_ANYWHERE }\n",
        "5:21: secrets.s.environment: variable 'NOT_SET_ANYWHERE' is not set on this host (host env files, the daemon's environment, or vars in berth.yaml)")]
    [InlineData("services:\n  web:\n    image: busybox\n    secrets: [{ source: s, mode: 0999 }]\nsecrets:\n  s: { file: ./db_password.txt }\n",
        "5:34: services.web.secrets.mode must be permission bits from 0 to 0777 (octal, e.g. 0440), not '0999'")]
    [InlineData("services:\n  web:\n    image: busybox\n    secrets: [{ source: s, uid: www }]\nsecrets:\n  s: { file: ./db_password.txt }\n",
        "5:33: services.web.secrets.uid must be a numeric id (a user or group name cannot be resolved outside the container), not 'www'")]
    [InlineData("services:\n  web:\n    image: busybox\n    secrets: [s, { source: s, target: /run/secrets/s }]\nsecrets:\n  s: { file: ./db_password.txt }\n",
        "5:18: services.web.secrets: two secrets on '/run/secrets/s'")]
    public void InvalidSecretsAndConfigs_AreErrorsAtTheirPlace(string yaml, string expected)
    {
        Assert.Equal([expected], Errors(yaml));
    }

    [Fact]
    public void HostFile_UnderTheHostSecretsDirectory_IsRead()
    {
        File.WriteAllText(Path.Combine(hostSecrets, "api.key"), "host-key-value");

        var web = LoadWeb($"services:\n  web:\n    image: busybox\n    secrets: [api]\nsecrets:\n  api: {{ file: {hostSecrets}/api.key }}\n");

        Assert.Equal("host-key-value", Encoding.UTF8.GetString(web.Container.Secrets[0].Content!.Bytes.AsSpan()));
    }

    [Theory]
    [InlineData("/etc/shadow")]
    [InlineData("/etc/hostname")]
    [InlineData("{0}/../etc/passwd")]
    [InlineData("{0}/link-out")]
    public void HostFile_OutsideTheHostSecretsDirectory_IsRefusedWithTheReason(string path)
    {
        File.CreateSymbolicLink(Path.Combine(hostSecrets, "link-out"), "/etc/hostname");
        var written = string.Format(System.Globalization.CultureInfo.InvariantCulture, path, hostSecrets);

        var errors = Errors($"services:\n  web:\n    image: busybox\n    secrets: [s]\nsecrets:\n  s: {{ file: \"{written}\" }}\n");

        Assert.Equal([$"7:14: secrets.s: host file '{written}' is outside the host's secrets directory '{hostSecrets}': berth reads host files only from there (a commit must not copy any file of the host into a container); put the file there, or in the repository"], errors);
    }

    [Fact]
    public void SecretContent_IsMaskedOutOfOtherErrors()
    {
        var errors = Load($"services:\n  web:\n    image: \"{Password} x\"\n    secrets: [db_password]\nsecrets:\n  db_password: {{ file: ./db_password.txt }}\n").Errors;

        var error = Assert.Single(errors);
        Assert.DoesNotContain(Password, error.ToString(), StringComparison.Ordinal);
        Assert.Contains("invalid image reference", error.Message, StringComparison.Ordinal);
    }
}
