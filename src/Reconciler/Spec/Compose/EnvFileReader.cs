using Berth.Reconciler.Spec.Interpolation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>A service's `env_file:` (a path, a list, or long form with `path` and `required`), relative to the Compose file.</summary>
internal static class EnvFileReader
{
    public static void Read(ServiceTarget target, Node node, string path)
    {
        var items = node is SequenceNode sequence ? sequence.Items : [node];
        foreach (var item in items)
        {
            var (pathNode, required) = item switch
            {
                ScalarNode { IsNull: false } scalar => (scalar, true),
                MappingNode mapping => ReadLong(target.Reader, mapping, path),
                _ => (null, false),
            };
            if (item is not (ScalarNode { IsNull: false } or MappingNode))
            {
                target.Reader.Error(item, $"{path} must be a path, a list of paths or {{path, required}}, not {item.KindDescription}");
            }

            if (pathNode is not null)
            {
                Load(target, pathNode, required, path);
            }
        }
    }

    private static (ScalarNode? Path, bool Required) ReadLong(NodeReader reader, MappingNode mapping, string path)
    {
        ScalarNode? pathNode = null;
        var required = true;
        foreach (var entry in mapping.Entries)
        {
            switch (entry.Key.Value)
            {
                case "path":
                    pathNode = reader.Scalar(entry.Value, path + ".path");
                    break;
                case "required":
                    required = reader.Bool(entry.Value, path + ".required") ?? true;
                    break;
                case "format":
                    reader.Error(entry.Key, $"'{path}.format' is not supported by berth (env files are read in dotenv format)");
                    break;
                default:
                    reader.Error(entry.Key, $"unknown key '{entry.Key.Value}' in {path} (expected path, required)");
                    break;
            }
        }

        if (mapping.Get("path") is null)
        {
            reader.Error(mapping, $"{path}: the long form needs 'path'");
        }

        return (pathNode, required);
    }

    private static void Load(ServiceTarget target, ScalarNode pathNode, bool required, string path)
    {
        var context = target.Context;
        var file = RepositoryPath.Combine(context.RelativeDirectory, pathNode.Value);
        if (file is null)
        {
            target.Reader.Error(pathNode, $"{path}: {pathNode.Describe()} must be a relative path inside the repository; host-local secrets go in the host's env files (see docs/repository-format.md)");
            return;
        }

        var read = context.Files.ReadText(file, FileLimits.EnvFileBytes);
        if (read.IsTooLarge)
        {
            target.Reader.Error(pathNode, $"{path}: " + FileLimits.TooLarge($"'{file}'", FileLimits.EnvFileBytes, read.Length, " for an env file"));
            return;
        }

        if (read.IsOverReadBudget)
        {
            target.Reader.Error(pathNode, $"{path}: " + FileLimits.OverReadBudget(file));
            return;
        }

        if (read.Text is not { } text)
        {
            if (required)
            {
                target.Reader.Error(pathNode, $"{path}: '{file}' does not exist (set required: false if it is optional)");
            }

            return;
        }

        var (plaintext, wasEncrypted) = (context.EncryptedFiles ?? EncryptedFiles.None).Decrypt(file, text, target.Reader.Errors);
        if (plaintext is null)
        {
            return;
        }

        // A decrypted file's values are secrets: its lines are never quoted in an error.
        target.Draft.EnvFileValues.AddRange(EnvFileParser.Parse(file, plaintext, context.Variables, isSecret: wasEncrypted, target.Reader.Errors));
    }
}
