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

        var contents = RepositoryEnvFile.Read(
            context.Files,
            file,
            $"'{file}'",
            required ? $"'{file}' does not exist (set required: false if it is optional)" : null,
            message => target.Reader.Error(pathNode, $"{path}: {message}"),
            context.EncryptedFiles,
            target.Reader.Errors);
        if (contents is not { } usable)
        {
            return;
        }

        var (plaintext, wasEncrypted) = usable;

        // A decrypted file's values are secrets: its lines are never quoted in an error.
        target.Draft.EnvFileValues.AddRange(EnvFileParser.Parse(file, plaintext, context.Variables, isSecret: wasEncrypted, target.Reader.Errors));
    }
}
