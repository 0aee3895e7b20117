using System.Globalization;
using System.Text;

namespace Berth.Tests.Faults.Hostile;

/// <summary>
/// A seeded, deterministic generator of adversarial desired-state repositories on disk (issue #20):
/// bad YAML, alias bombs, deep nesting, files past every limit, path traversal in every place a path
/// is read (compose paths, env_file, include, extends, secrets, configs), symbolic links out of the
/// repository (and loops), odd file names. Each repository lives beside an <c>outside</c> directory
/// holding files whose every line carries <see cref="CanaryToken"/>: a loader that reads outside the
/// repository, or quotes what it read, shows the token somewhere.
/// </summary>
/// <remarks>
/// The text-level fuzzing of a single document (mutations, random documents, hostile values) is
/// tests/Berth.Tests.Pure/Spec/SpecLoaderFuzzTests.cs, in memory. This one is about what only a real file
/// system and a real git tree have: links, names, sizes, paths.
/// </remarks>
public sealed class HostileRepositories(string root, int seed, string host = "h1", long maxFileBytes = long.MaxValue)
{
    /// <summary>What never appears in a repository, only outside it.</summary>
    public const string CanaryToken = "CANARY-outside-the-repository-7f3a";

    /// <summary>The host identity every generated inventory names; its stack is <c>HOST-app</c>.</summary>
    public string Host { get; } = host;

    public enum Kind { BadYaml, AliasBomb, DeepNesting, HugeFile, PathTraversal, SymbolicLink, OddName }

    public static IReadOnlyList<Kind> Kinds { get; } = Enum.GetValues<Kind>();

    private readonly Random random = new(seed);

    /// <summary>Files outside every generated repository, at <c>ROOT/outside</c>; what a traversal or a link reaches.</summary>
    public string Outside { get; } = Path.Combine(root, "outside");

    /// <summary>The whole of one generated repository: what it tries (for the failure message) and its files.</summary>
    public sealed record Generated(Kind Kind, string Description, string Directory)
    {
        public override string ToString() => $"{Kind}: {Description} ({Directory})";
    }

    public void CreateOutside()
    {
        Directory.CreateDirectory(Path.Combine(Outside, "stack"));
        File.WriteAllText(Path.Combine(Outside, "canary.env"), $"CANARY={CanaryToken}\nOTHER={CanaryToken}\n");
        File.WriteAllText(Path.Combine(Outside, "stack", "compose.yaml"),
            $"services:\n  {CanaryToken.ToLowerInvariant()}:\n    image: busybox\n    environment: {{ CANARY: {CanaryToken} }}\n");
        File.WriteAllText(Path.Combine(Outside, "berth.yaml"),
            $"hosts:\n  {Host}: {{}}\nstacks:\n  {CanaryToken.ToLowerInvariant()}:\n    compose: ../outside/stack/compose.yaml\n    hosts: [{Host}]\n");
        File.WriteAllText(Path.Combine(Outside, "secret.txt"), CanaryToken);
    }

    /// <summary>The repository number <paramref name="index"/> of the sequence (same seed, same repositories).</summary>
    public Generated Next(int index, Kind? only = null)
    {
        var kind = Kinds[random.Next(Kinds.Count)];
        kind = only ?? kind; // the same draw either way: a repository's number alone says what it is
        var directory = Path.Combine(root, "repo-" + index.ToString("D5", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        var files = new Dictionary<string, string>
        {
            ["berth.yaml"] = Inventory("stacks/app/compose.yaml"),
            ["stacks/app/compose.yaml"] = Compose(),
            ["stacks/app/app.env"] = "GREETING=hello\n",
        };
        var description = kind switch
        {
            Kind.BadYaml => BadYaml(files),
            Kind.AliasBomb => AliasBomb(files),
            Kind.DeepNesting => DeepNesting(files),
            Kind.HugeFile => "",
            Kind.PathTraversal => PathTraversal(files),
            Kind.SymbolicLink => "",
            Kind.OddName => "",
            _ => throw new InvalidOperationException(),
        };
        foreach (var (path, content) in files)
        {
            Write(directory, path, content);
        }

        description = kind switch
        {
            Kind.HugeFile => HugeFile(directory),
            Kind.SymbolicLink => SymbolicLink(directory),
            Kind.OddName => OddName(directory),
            _ => description,
        };
        return new Generated(kind, description, directory);
    }

    private string Inventory(string composePath) =>
        $"hosts:\n  {Host}: {{}}\nstacks:\n  {Host}-app:\n    compose: \"{composePath}\"\n    hosts: [{Host}]\n";

    private static string Compose(string serviceExtra = "", string topExtra = "") =>
        "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sh\", \"-c\", \"while true; do sleep 1; done\"]\n    init: true\n    env_file: [app.env]\n"
        + serviceExtra + topExtra;

    /// <summary>The valid repository every hostile one is a variation of: one stack, one service, one env file.</summary>
    public string CreateValid()
    {
        var directory = Path.Combine(root, "valid");
        Write(directory, "berth.yaml", Inventory("stacks/app/compose.yaml"));
        Write(directory, "stacks/app/compose.yaml", Compose());
        Write(directory, "stacks/app/app.env", "GREETING=hello\n");
        return directory;
    }

    private static void Write(string directory, string relative, string content)
    {
        var path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private T Pick<T>(params T[] choices) => choices[random.Next(choices.Length)];

    private string BadYaml(Dictionary<string, string> files)
    {
        var target = Pick("berth.yaml", "stacks/app/compose.yaml", "stacks/app/app.env");
        var original = files[target];
        var broken = random.Next(8) switch
        {
            0 => original[..random.Next(original.Length)],                                   // truncated
            1 => original.Replace("  ", "\t", StringComparison.Ordinal),                     // tabs for indentation
            2 => original + "\n  \"unclosed: [\n",                                              // unclosed quote and flow
            3 => "%YAML 9.9\n%TAG ! tag:evil,2026:\n--- !evil\n" + original,                 // directives and unknown tags
            4 => original + "\n---\n" + original,                                            // a second document
            5 => new string((char)random.Next(1, 32), random.Next(1, 200)) + original,        // control characters
            6 => "\uFEFF" + original + "\n? [complex, key]\n: value\n<<: *nowhere\n",         // BOM, complex key, unknown alias
            _ => Encoding.Latin1.GetString(Enumerable.Range(0, random.Next(1, 400)).Select(_ => (byte)random.Next(256)).ToArray()),
        };
        files[target] = broken;
        return $"{target}: broken";
    }

    private string AliasBomb(Dictionary<string, string> files)
    {
        // Billion laughs: 9 levels of 9 references each, 387 million nodes if expanded.
        var levels = random.Next(5, 10);
        var bomb = new StringBuilder("x-lol0: &lol0 \"lol\"\n");
        for (var level = 1; level < levels; level++)
        {
            bomb.Append(CultureInfo.InvariantCulture, $"x-lol{level}: &lol{level} [")
                .AppendJoin(", ", Enumerable.Repeat($"*lol{level - 1}", 9)).Append("]\n");
        }

        var top = $"lol{levels - 1}";
        var place = random.Next(4);
        files["stacks/app/compose.yaml"] = place switch
        {
            0 => bomb + Compose(),
            1 => bomb + Compose($"    command: *{top}\n"),
            2 => bomb + Compose($"    environment: {{ A: *{top} }}\n    labels:\n      <<: *{top}\n"),
            _ => bomb + Compose($"    x-berth: *{top}\n"),
        };
        if (random.Next(3) == 0)
        {
            files["berth.yaml"] = bomb.ToString().Replace("x-lol", "x_lol", StringComparison.Ordinal) + Inventory("stacks/app/compose.yaml") + $"settings: *x_{top}\n".Replace("*x_lol", "*lol", StringComparison.Ordinal);
        }

        return $"alias bomb of {levels} levels at {place}";
    }

    private string DeepNesting(Dictionary<string, string> files)
    {
        var depth = Pick(200, 1000, 10_000, 100_000);
        var nested = random.Next(3) switch
        {
            0 => new string('[', depth) + new string(']', depth),
            1 => string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth),
            _ => string.Concat(Enumerable.Range(0, Math.Min(depth, 5000)).Select(level => "\n" + new string(' ', 6 + level) + "a:")) + " 1",
        };
        var place = random.Next(3);
        files["stacks/app/compose.yaml"] = place switch
        {
            0 => Compose($"    command: {nested}\n"),
            1 => Compose($"    environment: {nested}\n"),
            _ => Compose(topExtra: $"x-deep: {nested}\n"),
        };
        return $"nesting {depth} deep at {place}";
    }

    private string HugeFile(string directory)
    {
        // Sparse files: past the limits by length, without writing gigabytes.
        var target = Pick("berth.yaml", "stacks/app/compose.yaml", "stacks/app/app.env");
        var length = Math.Min(maxFileBytes, Pick(4L * 1024 * 1024 + 1, 64L * 1024 * 1024 + 7, 10L * 1024 * 1024 * 1024));
        using (var stream = new FileStream(Path.Combine(directory, target), FileMode.Open, FileAccess.Write))
        {
            stream.SetLength(length);
        }

        return $"{target} of {length} bytes";
    }

    private string PathTraversal(Dictionary<string, string> files)
    {
        var outsideRelative = "../../../outside";
        var absolute = Outside;
        var (where, path) = random.Next(9) switch
        {
            0 => ("inventory compose", Pick("../outside/stack/compose.yaml", $"{absolute}/stack/compose.yaml", "stacks/../../outside/stack/compose.yaml", "./../outside/stack/compose.yaml")),
            1 => ("env_file", Pick($"{outsideRelative}/canary.env", $"{absolute}/canary.env", "../../../../../../../../etc/passwd", "./../../../outside/canary.env")),
            2 => ("include", Pick($"{outsideRelative}/stack/compose.yaml", $"{absolute}/stack/compose.yaml")),
            3 => ("extends", Pick($"{outsideRelative}/stack/compose.yaml", $"{absolute}/stack/compose.yaml")),
            4 => ("secret file", Pick($"{outsideRelative}/secret.txt", $"{absolute}/secret.txt", "../../../outside/canary.env")),
            5 => ("config file", Pick($"{outsideRelative}/secret.txt", $"{absolute}/canary.env")),
            6 => ("long env_file", $"{outsideRelative}/canary.env"),
            7 => ("label_file", Pick($"{outsideRelative}/canary.env", $"{absolute}/canary.env")),
            _ => ("env_file list", $"{outsideRelative}/canary.env"),
        };
        switch (where)
        {
            case "inventory compose":
                files["berth.yaml"] = Inventory(path);
                break;
            case "env_file":
                files["stacks/app/compose.yaml"] = Compose().Replace("[app.env]", $"[\"{path}\"]", StringComparison.Ordinal);
                break;
            case "include":
                files["stacks/app/compose.yaml"] = $"include:\n  - \"{path}\"\n" + Compose();
                break;
            case "extends":
                files["stacks/app/compose.yaml"] = Compose($"    extends: {{ file: \"{path}\", service: {CanaryToken.ToLowerInvariant()} }}\n");
                break;
            case "secret file":
                files["stacks/app/compose.yaml"] = Compose("    secrets: [s]\n", $"secrets:\n  s:\n    file: \"{path}\"\n");
                break;
            case "config file":
                files["stacks/app/compose.yaml"] = Compose("    configs: [c]\n", $"configs:\n  c:\n    file: \"{path}\"\n");
                break;
            case "long env_file":
                files["stacks/app/compose.yaml"] = Compose().Replace("env_file: [app.env]", $"env_file:\n      - path: \"{path}\"\n        required: true", StringComparison.Ordinal);
                break;
            case "label_file":
                files["stacks/app/compose.yaml"] = Compose($"    label_file: \"{path}\"\n");
                break;
            default:
                files["stacks/app/compose.yaml"] = Compose().Replace("[app.env]", $"[app.env, \"{path}\", app.env]", StringComparison.Ordinal);
                break;
        }

        return $"{where}: {path}";
    }

    private string SymbolicLink(string directory)
    {
        string Full(string relative) => Path.Combine(directory, relative);
        void Replace(string relative, string target)
        {
            File.Delete(Full(relative));
            File.CreateSymbolicLink(Full(relative), target);
        }

        switch (random.Next(9))
        {
            case 0:
                Replace("stacks/app/app.env", Path.Combine(Outside, "canary.env"));
                return "env file -> outside (absolute)";
            case 1:
                Replace("stacks/app/app.env", "../../../outside/canary.env");
                return "env file -> outside (relative)";
            case 2:
                Replace("stacks/app/compose.yaml", Path.Combine(Outside, "stack", "compose.yaml"));
                return "compose file -> outside";
            case 3:
                Replace("berth.yaml", Path.Combine(Outside, "berth.yaml"));
                return "berth.yaml -> outside";
            case 4:
                Directory.Delete(Full("stacks/app"), recursive: true);
                Directory.CreateSymbolicLink(Full("stacks/app"), Path.Combine(Outside, "stack"));
                return "stack directory -> outside";
            case 5:
                // A chain: inside, then out.
                File.CreateSymbolicLink(Full("stacks/hop"), Path.Combine(Outside, "canary.env"));
                Replace("stacks/app/app.env", "../hop");
                return "env file -> inside link -> outside";
            case 6:
                File.CreateSymbolicLink(Full("stacks/app/loop-a"), "loop-b");
                File.CreateSymbolicLink(Full("stacks/app/loop-b"), "loop-a");
                Replace("stacks/app/app.env", "loop-a");
                return "env file -> a loop of links";
            case 7:
                Replace("stacks/app/compose.yaml", "compose.yaml");
                return "compose file -> itself";
            default:
                Replace("stacks/app/app.env", Pick("/dev/zero", "/dev/urandom", "/proc/self/environ", "/etc/shadow"));
                return "env file -> a device or host file";
        }
    }

    private string OddName(string directory)
    {
        var name = Pick(
            "new\nline.env", "tab\there.env", "unicodé-ファイル-🚀.env", new string('x', 250) + ".env", "-leading-dash.env",
            "colon:in:name.env", " space .env", "..env", "back\\slash.env", "${GREETING}.env", "%2e%2e.env", "\u202Eelif.env");
        File.WriteAllText(Path.Combine(directory, "stacks", "app", name), "A=1\n");
        var compose = Path.Combine(directory, "stacks", "app", "compose.yaml");
        var quoted = name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);
        File.WriteAllText(compose, Compose().Replace("[app.env]", $"[\"{quoted}\"]", StringComparison.Ordinal));
        if (random.Next(2) == 0)
        {
            // The stack's compose file itself under an odd name.
            var oddCompose = Path.Combine(directory, "stacks", "app", name.Replace(".env", ".yaml", StringComparison.Ordinal));
            File.Move(compose, oddCompose);
            File.WriteAllText(Path.Combine(directory, "berth.yaml"), Inventory("stacks/app/" + quoted.Replace(".env", ".yaml", StringComparison.Ordinal)));
        }

        return $"file named {quoted}";
    }
}
