using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Berth.Reconciler.Secrets.Files;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// What reading secrets and configs needs for one host's load: the host's policy and key, and the
/// contents read so far, which the loader hands to error masking (<see cref="SecretMasking"/>).
/// </summary>
internal sealed class FileObjectLoad(FileSourceOptions options)
{
    private static readonly Lazy<FileSourceOptions> ProcessDefault =
        new(() => new FileSourceOptions(FileSourceOptions.DefaultHostDirectory, ContentKeyring.Ephemeral()));

    /// <summary>The default host directory and a key of this process only (tests, a context made without options).</summary>
    public static FileObjectLoad Default() => new(ProcessDefault.Value);

    public FileSourceOptions Options { get; } = options;

    /// <summary>Secret contents as text, to be masked out of every error of this load.</summary>
    public List<string> SecretValues { get; } = [];
}

/// <summary>
/// Compose's top-level `secrets:` and `configs:` (file, environment, content) and a service's references
/// to them (short: `- name`; long: source, target, uid, gid, mode), as docker compose runs them without
/// Swarm: a file bound read-only into the container. `external` and `name` need Swarm: refused.
/// </summary>
internal static partial class FileObjectReader
{
    public const string SecretsDirectory = "/run/secrets";

    public static void ReadDefinitions(ComposeReadContext context, Node node, string path, FileMountKind kind, Dictionary<string, FileObjectDraft> into)
    {
        var reader = context.Reader;
        if (reader.MappingOrNull(node, path) is not { } definitions)
        {
            return;
        }

        foreach (var entry in definitions.Entries)
        {
            var key = entry.Key.Value;
            var definitionPath = $"{path}.{key}";
            if (!NamePattern().IsMatch(key))
            {
                reader.Error(entry.Key, $"invalid {Noun(kind)} name '{key}' (letters, digits, '-', '_', '.'; starting with a letter or digit)");
                continue;
            }

            var draft = new FileObjectDraft(key, entry.Key.Start, kind);
            into[key] = draft;
            if (reader.MappingOrNull(entry.Value, definitionPath) is not { } mapping)
            {
                continue;
            }

            var sources = new List<(Node At, FileSource Source)>();
            var target = new DefinitionTarget(context, sources);
            var errorsBefore = reader.Errors.Count;
            (kind == FileMountKind.Secret ? SecretFields : ConfigFields).Apply(reader, mapping, target, definitionPath);
            // One error per cause: a refused or invalid key already says what is wrong with the definition.
            if (target.Failed || reader.Errors.Count > errorsBefore)
            {
                continue;
            }

            if (sources.Count != 1)
            {
                var options = kind == FileMountKind.Secret ? "file or environment" : "file, environment or content";
                reader.Error(sources.Count == 0 ? entry.Key : sources[1].At,
                    $"{definitionPath} needs exactly one source: {options}{(sources.Count == 0 ? "" : ", not several")}");
                continue;
            }

            var load = context.FileObjects;
            var read = FileSources.Read(sources[0].Source, context.Files, load.Options, context.EncryptedFiles, reader.Errors);
            if (read.AlreadyReported)
            {
                continue;
            }

            if (read.Error is { } error)
            {
                // Never the content: the message is about the source only.
                reader.Error(sources[0].At, $"{definitionPath}: {error}");
                continue;
            }

            var bytes = read.Bytes.AsSpan();
            draft.Content = new FileContent(read.Bytes);
            draft.ContentKey = load.Options.Keyring.Hash(bytes);
            if (kind == FileMountKind.Secret && TextOf(bytes) is { } text)
            {
                // Masked out of every error of this load, with and without a final newline.
                load.SecretValues.Add(text);
                load.SecretValues.Add(text.TrimEnd('\r', '\n'));
            }
        }
    }

    private static string? TextOf(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private sealed class DefinitionTarget(ComposeReadContext context, List<(Node At, FileSource Source)> sources)
    {
        public ComposeReadContext Context { get; } = context;

        public List<(Node At, FileSource Source)> Sources { get; } = sources;

        /// <summary>An error was reported for a field: no second one about the missing source.</summary>
        public bool Failed { get; set; }
    }

    private static FieldTable<DefinitionTarget> CommonFields() => new FieldTable<DefinitionTarget>()
        .Field("file", (target, node, path) =>
        {
            var reader = target.Context.Reader;
            if (reader.Scalar(node, path) is not { } file)
            {
                target.Failed = true;
                return;
            }

            if (file.Value.StartsWith('/'))
            {
                target.Sources.Add((node, new FileSource.Host(file.Value)));
            }
            else if (RepositoryPath.Combine(target.Context.RelativeDirectory, file.Value) is { } relative)
            {
                target.Sources.Add((node, new FileSource.Repository(relative)));
            }
            else
            {
                target.Failed = true;
                reader.Error(node, $"{path}: {file.Describe()} leads out of the repository; write a path inside it, relative to the Compose file, or an absolute path under the host's secrets directory");
            }
        })
        .Field("environment", (target, node, path) =>
        {
            var reader = target.Context.Reader;
            if (reader.Scalar(node, path) is not { } name)
            {
                target.Failed = true;
                return;
            }

            if (target.Context.Variables.TryGet(name.Value, out var variable))
            {
                target.Sources.Add((node, new FileSource.Variable(name.Value, variable.Value)));
            }
            else
            {
                target.Failed = true;
                reader.Error(node, $"{path}: variable '{name.Value}' is not set on this host (host env files, the daemon's environment, or vars in berth.yaml)");
            }
        })
        .Unsupported("external", "it needs Swarm: berth runs Compose without Swarm, as docker compose does; use file or environment")
        .Unsupported("name", "it names a Swarm object: berth runs Compose without Swarm; the key is the name")
        .Unsupported(["driver", "driver_opts", "template_driver", "labels"]);

    private static readonly FieldTable<DefinitionTarget> SecretFields = CommonFields();

    private static readonly FieldTable<DefinitionTarget> ConfigFields = CommonFields()
        .Field("content", (target, node, path) =>
        {
            if (target.Context.Reader.Scalar(node, path) is { } content)
            {
                target.Sources.Add((node, new FileSource.Inline(content.Value)));
            }
            else
            {
                target.Failed = true;
            }
        });

    /// <summary>A service's `secrets:` or `configs:` list.</summary>
    public static void ReadReferences(NodeReader reader, Node node, string path, FileMountKind kind, Dictionary<string, Located<FileReferenceDraft>> into)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in reader.Sequence(node, path)?.Items ?? [])
        {
            var reference = item is ScalarNode { IsNull: false } scalar
                ? ShortReference(reader, scalar, path, kind)
                : reader.Mapping(item, path + " item") is { } mapping ? LongReference(reader, mapping, path, kind) : null;
            if (reference is null)
            {
                continue;
            }

            if (!seen.Add(reference.Target))
            {
                reader.Error(item, $"{path}: two {Noun(kind)}s on '{reference.Target}'");
                continue;
            }

            into[reference.Target] = new Located<FileReferenceDraft>(reference, item.Start);
        }
    }

    private static FileReferenceDraft? ShortReference(NodeReader reader, ScalarNode item, string path, FileMountKind kind) =>
        CheckName(reader, item, path, kind) ? new FileReferenceDraft(item.Value, DefaultTarget(kind, item.Value), null, null, null) : null;

    private static FileReferenceDraft? LongReference(NodeReader reader, MappingNode mapping, string path, FileMountKind kind)
    {
        var target = new ReferenceTarget(reader, kind);
        ReferenceFields.Apply(reader, mapping, target, path);
        if (target.Source is null)
        {
            if (!target.Failed)
            {
                reader.Error(mapping, $"{path} item needs 'source': the {Noun(kind)}'s name under the top-level {Noun(kind)}s:");
            }

            return null;
        }

        return target.Failed ? null : new FileReferenceDraft(target.Source, target.Target ?? DefaultTarget(kind, target.Source), target.Uid, target.Gid, target.Mode);
    }

    private sealed class ReferenceTarget(NodeReader reader, FileMountKind kind)
    {
        public NodeReader Reader { get; } = reader;

        public FileMountKind Kind { get; } = kind;

        public string? Source { get; set; }

        public string? Target { get; set; }

        public int? Uid { get; set; }

        public int? Gid { get; set; }

        public int? Mode { get; set; }

        public bool Failed { get; set; }
    }

    private static readonly FieldTable<ReferenceTarget> ReferenceFields = new FieldTable<ReferenceTarget>()
        .Field("source", (target, node, path) =>
        {
            if (target.Reader.Scalar(node, path) is { } source && CheckName(target.Reader, source, path, target.Kind))
            {
                target.Source = source.Value;
            }
            else
            {
                target.Failed = true;
            }
        })
        .Field("target", (target, node, path) =>
        {
            if (target.Reader.Scalar(node, path) is not { } written)
            {
                target.Failed = true;
                return;
            }

            // As docker compose: a relative secret target is a file under /run/secrets, a relative config
            // target a path from the container's root.
            var resolved = written.Value.StartsWith('/') ? written.Value
                : target.Kind == FileMountKind.Secret ? $"{SecretsDirectory}/{written.Value}" : "/" + written.Value;
            if (resolved.Contains(':', StringComparison.Ordinal) || resolved.Split('/').Any(part => part == "..") || resolved.EndsWith('/') || resolved == "/")
            {
                target.Failed = true;
                target.Reader.Error(node, $"{path}: invalid target {written.Describe()} (a file path in the container, without ':' or '..')");
                return;
            }

            target.Target = resolved;
        })
        .Field("uid", (target, node, path) => target.Uid = Id(target, node, path))
        .Field("gid", (target, node, path) => target.Gid = Id(target, node, path))
        .Field("mode", (target, node, path) =>
        {
            if (target.Reader.Scalar(node, path) is not { } mode)
            {
                target.Failed = true;
                return;
            }

            // Written in octal as Compose's examples do (0440, or 0o440); an integer without a leading 0 is decimal, as YAML reads it.
            var text = mode.Value;
            var (digits, radix) = text.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? (text[2..], 8)
                : text.Length > 1 && text.StartsWith('0') ? (text[1..], 8)
                : (text, 10);
            int? value = null;
            try
            {
                value = digits.Length > 0 && digits.All(char.IsAsciiDigit) ? Convert.ToInt32(digits, radix) : null;
            }
            catch (FormatException)
            {
            }

            if (value is not (>= 0 and <= 0x1FF))
            {
                target.Failed = true;
                target.Reader.Error(node, $"{path} must be permission bits from 0 to 0777 (octal, e.g. 0440), not {mode.Describe()}");
                return;
            }

            target.Mode = value;
        });

    private static int? Id(ReferenceTarget target, Node node, string path)
    {
        if (target.Reader.Scalar(node, path) is { } id && int.TryParse(id.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        target.Failed = true;
        if (node is ScalarNode { IsNull: false } scalar)
        {
            target.Reader.Error(node, $"{path} must be a numeric id (a user or group name cannot be resolved outside the container), not {scalar.Describe()}");
        }

        return null;
    }

    private static bool CheckName(NodeReader reader, ScalarNode name, string path, FileMountKind kind)
    {
        if (NamePattern().IsMatch(name.Value))
        {
            return true;
        }

        reader.Error(name, $"{path}: invalid {Noun(kind)} name {name.Describe()}");
        return false;
    }

    private static string DefaultTarget(FileMountKind kind, string source) =>
        kind == FileMountKind.Secret ? $"{SecretsDirectory}/{source}" : "/" + source;

    public static string Noun(FileMountKind kind) => kind == FileMountKind.Secret ? "secret" : "config";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
