using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// A service's `volumes:` entries, short ("data:/var/lib/x:ro", "./conf:/etc/x", "/cache") and long
/// syntax. A relative bind source resolves against the Compose file's directory into an absolute path.
/// </summary>
internal static class VolumeSyntax
{
    private static readonly string[] Propagations = ["shared", "rshared", "slave", "rslave", "private", "rprivate"];

    /// <summary>Docker Desktop's consistency hints: valid Compose, no-ops on Linux.</summary>
    private static readonly string[] Consistencies = ["cached", "delegated", "consistent"];

    /// <param name="composeDirectory">Absolute directory of the Compose file on this host.</param>
    public static void Read(NodeReader reader, Node item, string path, string composeDirectory, Dictionary<string, Located<MountSpec>> mounts)
    {
        var mount = item is ScalarNode { IsNull: false } scalar
            ? ReadShort(reader, scalar, path, composeDirectory)
            : reader.Mapping(item, path + " item") is { } mapping ? ReadLong(reader, mapping, path, composeDirectory) : null;
        if (mount is null)
        {
            return;
        }

        if (mounts.ContainsKey(mount.Target) && mounts[mount.Target].At.File == item.Start.File)
        {
            reader.Error(item, $"{path}: two mounts on '{mount.Target}'");
            return;
        }

        mounts[mount.Target] = new Located<MountSpec>(mount, item.Start);
    }

    private static MountSpec? ReadShort(NodeReader reader, ScalarNode item, string path, string composeDirectory)
    {
        var parts = item.Value.Split(':');
        if (parts.Length > 3 || parts.Any(part => part.Length == 0))
        {
            reader.Error(item, $"{path}: invalid volume {item.Describe()} (expected [SOURCE:]TARGET[:OPTIONS])");
            return null;
        }

        if (parts.Length == 1)
        {
            return CheckTarget(reader, item, path, parts[0]) ? new MountSpec(MountType.Volume, null, parts[0], ReadOnly: false) : null;
        }

        var (source, target) = (parts[0], parts[1]);
        if (!CheckTarget(reader, item, path, target))
        {
            return null;
        }

        var isBind = IsPath(source);
        var mount = isBind
            ? ResolveBindSource(reader, item, path, source, composeDirectory) is { } absolute ? new MountSpec(MountType.Bind, absolute, target, ReadOnly: false) : null
            : new MountSpec(MountType.Volume, source, target, ReadOnly: false, VolumeKey: source);
        if (mount is null || parts.Length == 2)
        {
            return mount;
        }

        foreach (var option in parts[2].Split(','))
        {
            switch (option)
            {
                case "ro":
                    mount = mount with { ReadOnly = true };
                    break;
                case "rw":
                    break;
                case "nocopy" when !isBind:
                    mount = mount with { VolumeNoCopy = true };
                    break;
                case var propagation when isBind && Propagations.Contains(propagation):
                    mount = mount with { BindPropagation = propagation };
                    break;
                case "z" or "Z" when isBind && mount.Source!.Contains(':', StringComparison.Ordinal):
                    // Only the legacy Binds string carries a relabel, and it cannot hold a source with ':'.
                    reader.Error(item, $"{path}: the SELinux relabel option '{option}' needs a bind source without ':'");
                    return null;
                case "z" or "Z" when isBind:
                    mount = mount with { BindSELinux = option };
                    break;
                case var consistency when Consistencies.Contains(consistency):
                    // Docker Desktop's file-sharing hints (macOS); Docker on Linux ignores them and so does
                    // berth. Not kept in the MountSpec, so not hashed: adding one recreates nothing.
                    break;
                case "z" or "Z":
                    reader.Error(item, $"{path}: the SELinux relabel option '{option}' applies to bind mounts (a host path) only");
                    return null;
                default:
                    reader.Error(item, $"{path}: unknown volume option '{option}' (expected ro, rw, " + string.Join(", ", Consistencies) + (isBind ? ", or a propagation: " + string.Join(", ", Propagations) : ", nocopy") + ")");
                    return null;
            }
        }

        return mount;
    }

    private static MountSpec? ReadLong(NodeReader reader, MappingNode mapping, string path, string composeDirectory)
    {
        var draft = new LongMountDraft();
        LongFields.Apply(reader, mapping, (reader, draft), path);
        if (draft.Type is null || draft.Target is null)
        {
            if (mapping.Get("type") is null)
            {
                reader.Error(mapping, $"{path}: a long-syntax volume needs 'type' (volume, bind or tmpfs)");
            }

            if (mapping.Get("target") is null)
            {
                reader.Error(mapping, $"{path}: a long-syntax volume needs 'target'");
            }

            return null;
        }

        if (!CheckTarget(reader, mapping, path, draft.Target))
        {
            return null;
        }

        CheckOptionsMatchType(reader, mapping, path, draft.Type);
        switch (draft.Type)
        {
            case "volume":
                return new MountSpec(MountType.Volume, draft.Source, draft.Target, draft.ReadOnly ?? false, VolumeKey: draft.Source, VolumeNoCopy: draft.NoCopy ?? false);
            case "bind":
                if (draft.Source is null)
                {
                    reader.Error(mapping, $"{path}: a bind mount needs 'source'");
                    return null;
                }

                // Compose: create_host_path is implied by the short syntax only; the long syntax defaults to false.
                return ResolveBindSource(reader, mapping.Get("source")!, path, draft.Source, composeDirectory) is { } absolute
                    ? new MountSpec(MountType.Bind, absolute, draft.Target, draft.ReadOnly ?? false, BindPropagation: draft.Propagation, BindCreateHostPath: draft.CreateHostPath ?? false)
                    : null;
            default:
                if (draft.Source is not null)
                {
                    reader.Error(mapping.Get("source")!, $"{path}: a tmpfs mount has no 'source'");
                }

                return new MountSpec(MountType.Tmpfs, null, draft.Target, draft.ReadOnly ?? false, TmpfsSizeBytes: draft.TmpfsSize);
        }
    }

    private static void CheckOptionsMatchType(NodeReader reader, MappingNode mapping, string path, string type)
    {
        foreach (var block in new[] { "volume", "bind", "tmpfs" })
        {
            if (block != type && mapping.Get(block) is { } node)
            {
                reader.Error(node, $"{path}: '{block}' options on a mount of type '{type}'");
            }
        }
    }

    private static bool IsPath(string source) => source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~');

    private static string? ResolveBindSource(NodeReader reader, Node at, string path, string source, string composeDirectory)
    {
        if (source.StartsWith('~'))
        {
            reader.Error(at, $"{path}: '~' in a bind source depends on which user runs berth; use an absolute path");
            return null;
        }

        return Path.GetFullPath(Path.Combine(composeDirectory, source)).Replace('\\', '/');
    }

    private static bool CheckTarget(NodeReader reader, Node at, string path, string target)
    {
        if (target.StartsWith('/'))
        {
            return true;
        }

        reader.Error(at, $"{path}: the mount target '{target}' must be an absolute path in the container");
        return false;
    }

    private sealed class LongMountDraft
    {
        public string? Type { get; set; }

        public string? Source { get; set; }

        public string? Target { get; set; }

        public bool? ReadOnly { get; set; }

        public bool? NoCopy { get; set; }

        public string? Propagation { get; set; }

        public bool? CreateHostPath { get; set; }

        public long? TmpfsSize { get; set; }
    }

    private static readonly FieldTable<(NodeReader Reader, LongMountDraft Draft)> VolumeOptions = new FieldTable<(NodeReader Reader, LongMountDraft Draft)>()
        .Field("nocopy", (target, node, path) => target.Draft.NoCopy = target.Reader.Bool(node, path))
        .Unsupported(["subpath"]);

    private static readonly FieldTable<(NodeReader Reader, LongMountDraft Draft)> BindOptions = new FieldTable<(NodeReader Reader, LongMountDraft Draft)>()
        .Field("propagation", (target, node, path) => target.Draft.Propagation = target.Reader.OneOf(node, path, Propagations))
        .Field("create_host_path", (target, node, path) => target.Draft.CreateHostPath = target.Reader.Bool(node, path))
        .Unsupported(["selinux", "recursive"]);

    private static readonly FieldTable<(NodeReader Reader, LongMountDraft Draft)> TmpfsOptions = new FieldTable<(NodeReader Reader, LongMountDraft Draft)>()
        .Field("size", (target, node, path) => target.Draft.TmpfsSize = target.Reader.Size(node, path))
        .Unsupported(["mode"]);

    private static readonly FieldTable<(NodeReader Reader, LongMountDraft Draft)> LongFields = new FieldTable<(NodeReader Reader, LongMountDraft Draft)>()
        .Field("type", (target, node, path) =>
        {
            if (target.Reader.String(node, path) is not { } type)
            {
                return;
            }

            if (type is "volume" or "bind" or "tmpfs")
            {
                target.Draft.Type = type;
            }
            else
            {
                target.Reader.Error(node, $"{path}: mount type '{type}' is not supported by berth (use volume, bind or tmpfs)");
            }
        })
        .Field("source", (target, node, path) => target.Draft.Source = target.Reader.String(node, path))
        .Field("target", (target, node, path) => target.Draft.Target = target.Reader.String(node, path))
        .Field("read_only", (target, node, path) => target.Draft.ReadOnly = target.Reader.Bool(node, path))
        .Field("volume", (target, node, path) => ApplyNested(target, node, path, VolumeOptions))
        .Field("bind", (target, node, path) => ApplyNested(target, node, path, BindOptions))
        .Field("tmpfs", (target, node, path) => ApplyNested(target, node, path, TmpfsOptions))
        // A no-op on Linux, as the short syntax's :cached (see there): validated, then dropped.
        .Field("consistency", (target, node, path) => target.Reader.OneOf(node, path, Consistencies));

    private static void ApplyNested(
        (NodeReader Reader, LongMountDraft Draft) target, Node node, string path, FieldTable<(NodeReader Reader, LongMountDraft Draft)> table)
    {
        if (target.Reader.MappingOrNull(node, path) is { } mapping)
        {
            table.Apply(target.Reader, mapping, target, path);
        }
    }
}
