using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// Reads a service's `extends:` and the top-level `include:` as written; <see cref="ComposeFileSet"/>
/// resolves them. Paths are relative to the file that names them and must stay inside the repository.
/// </summary>
internal static class IncludeExtendsSyntax
{
    /// <summary>`extends: base` or `extends: { service: base, file: other.yaml }`.</summary>
    public static void ReadExtends(ServiceTarget target, Node node, string path)
    {
        target.Draft.Extends = Read(target, node, path);

        // Every way of not getting an ExtendsDraft above has reported its error.
        target.Draft.ExtendsFailed |= target.Draft.Extends is null;
    }

    private static ExtendsDraft? Read(ServiceTarget target, Node node, string path)
    {
        var reader = target.Reader;
        if (node is ScalarNode)
        {
            return ServiceName(reader, node, path) is { } service ? new ExtendsDraft(service, null, node.Start) : null;
        }

        if (reader.Mapping(node, path) is not { } mapping)
        {
            return null;
        }

        var fields = new ExtendsFields();
        ExtendsTable.Apply(reader, mapping, (target.Context, fields), path);
        if (mapping.Get("service") is null)
        {
            reader.Error(mapping, $"{path}: the long form needs 'service'");
            return null;
        }

        return fields.Service is { } name && !fields.FileInvalid ? new ExtendsDraft(name, fields.File, node.Start) : null;
    }

    private sealed class ExtendsFields
    {
        public string? Service { get; set; }

        public string? File { get; set; }

        public bool FileInvalid { get; set; }
    }

    private static readonly FieldTable<(ComposeReadContext Context, ExtendsFields Fields)> ExtendsTable =
        new FieldTable<(ComposeReadContext Context, ExtendsFields Fields)>()
            .Field("service", (target, node, path) => target.Fields.Service = ServiceName(target.Context.Reader, node, path))
            .Field("file", (target, node, path) =>
            {
                target.Fields.File = RelativeFile(target.Context, node, path);
                target.Fields.FileInvalid = target.Fields.File is null;
            });

    /// <summary>
    /// `include:` entries: a path, or `{ path: a | [a, b], env_file: x | [x, y], project_directory: d }`.
    /// Paths are relative to the including file's directory; project_directory must stay inside the repository.
    /// </summary>
    public static void ReadIncludes(ComposeReadContext context, ComposeFileDraft draft, Node node, string path)
    {
        var reader = context.Reader;
        if (reader.Sequence(node, path) is not { } entries)
        {
            return;
        }

        for (var index = 0; index < entries.Items.Length; index++)
        {
            var item = entries.Items[index];
            var itemPath = $"{path}[{index}]";
            if (item is ScalarNode)
            {
                if (RelativeFile(context, item, itemPath) is { } file)
                {
                    draft.Includes.Add(new IncludeDraft([new Located<string>(file, item.Start)], [], item.Start));
                }

                continue;
            }

            if (reader.Mapping(item, itemPath) is not { } mapping)
            {
                continue;
            }

            var fields = new IncludeFields();
            IncludeTable.Apply(reader, mapping, (context, fields), itemPath);
            if (mapping.Get("path") is null)
            {
                reader.Error(mapping, $"{itemPath}: the long form needs 'path'");
            }
            else if (fields.Paths.Count > 0 && !fields.Invalid)
            {
                draft.Includes.Add(new IncludeDraft(fields.Paths, fields.EnvFiles, item.Start) { ProjectDirectory = fields.ProjectDirectory });
            }
        }
    }

    private sealed class IncludeFields
    {
        public List<Located<string>> Paths { get; } = [];

        public List<Located<string>> EnvFiles { get; } = [];

        public string? ProjectDirectory { get; set; }

        public bool Invalid { get; set; }
    }

    private static readonly FieldTable<(ComposeReadContext Context, IncludeFields Fields)> IncludeTable =
        new FieldTable<(ComposeReadContext Context, IncludeFields Fields)>()
            .Field("path", (target, node, path) => ReadFiles(target.Context, node, path, target.Fields.Paths, target.Fields))
            .Field("env_file", (target, node, path) => ReadFiles(target.Context, node, path, target.Fields.EnvFiles, target.Fields))
            .Field("project_directory", (target, node, path) =>
            {
                target.Fields.ProjectDirectory = RelativeDirectory(target.Context, node, path);
                target.Fields.Invalid |= target.Fields.ProjectDirectory is null;
            });

    private static void ReadFiles(ComposeReadContext context, Node node, string path, List<Located<string>> into, IncludeFields fields)
    {
        foreach (var item in context.Reader.StringOrList(node, path) ?? [])
        {
            if (RelativeFile(context, item, path) is { } file)
            {
                into.Add(new Located<string>(file, item.Start));
            }
            else
            {
                fields.Invalid = true;
            }
        }
    }

    private static string? ServiceName(NodeReader reader, Node node, string path)
    {
        if (reader.Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        if (!ServiceNames.IsValid(scalar.Value))
        {
            reader.Error(node, $"{path}: {scalar.Describe()} is not a service name");
            return null;
        }

        return scalar.Value;
    }

    /// <summary>
    /// The repository path ("" for the root) of a directory named relative to the Compose file being
    /// read; null (and an error) when it leaves the repository.
    /// </summary>
    private static string? RelativeDirectory(ComposeReadContext context, Node node, string path)
    {
        if (context.Reader.Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        // Combine names files, so it has no answer for the root itself: resolve a name inside the
        // directory and take its directory ("." or "a/.." are the root, "../x" leaves the repository).
        if (scalar.Value.Length > 0 && RepositoryPath.Combine(context.RelativeDirectory, scalar.Value.TrimEnd('/') + "/_") is { } inside)
        {
            return RepositoryPath.DirectoryOf(inside);
        }

        context.Reader.Error(node, $"{path}: {scalar.Describe()} must be a relative path to a directory inside the repository");
        return null;
    }

    /// <summary>The repository path of a file named relative to the Compose file being read; null (and an error) when it leaves the repository.</summary>
    private static string? RelativeFile(ComposeReadContext context, Node node, string path)
    {
        if (context.Reader.Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        if (RepositoryPath.Combine(context.RelativeDirectory, scalar.Value) is { } file)
        {
            return file;
        }

        context.Reader.Error(node, $"{path}: {scalar.Describe()} must be a relative path inside the repository");
        return null;
    }
}
