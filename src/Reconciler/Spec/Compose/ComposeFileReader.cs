using Berth.Reconciler.Spec.Yaml;
using Berth.Reconciler.Spec.Model;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>Reads one interpolated Compose file tree into a <see cref="ComposeFileDraft"/>.</summary>
internal static class ComposeFileReader
{
    public static ComposeFileDraft Read(ComposeReadContext context, Node root)
    {
        var draft = new ComposeFileDraft(context.File);
        if (context.Reader.Mapping(root, "a Compose file") is { } mapping)
        {
            TopLevelFields.Apply(context.Reader, mapping, (context, draft), "");
        }

        return draft;
    }

    private static void ReadServices((ComposeReadContext Context, ComposeFileDraft Draft) target, Node node, string path)
    {
        var reader = target.Context.Reader;
        if (reader.MappingOrNull(node, path) is not { } services)
        {
            return;
        }

        foreach (var entry in services.Entries)
        {
            var servicePath = $"services.{entry.Key.Value}";
            if (!ServiceNames.IsValid(entry.Key.Value))
            {
                reader.Error(entry.Key, $"invalid service name '{entry.Key.Value}' (letters, digits, '-', '_', '.'; starting with a letter or digit)");
                continue;
            }

            reader.Errors.PublicNames.Add(entry.Key.Value);
            var service = new ServiceDraft(entry.Key.Value, entry.Key.Start);
            target.Draft.Services[entry.Key.Value] = service;
            if (reader.MappingOrNull(entry.Value, servicePath) is { } serviceMapping)
            {
                reader.Errors.ReadingService = entry.Key.Value;
                try
                {
                    ServiceReader.Read(target.Context, serviceMapping, service, servicePath);
                }
                finally
                {
                    reader.Errors.ReadingService = null;
                }
            }
        }
    }

    private static void ReadResources(
        ComposeReadContext context, Node node, string path, Dictionary<string, ResourceDraft> into, FieldTable<(NodeReader Reader, ResourceDraft Draft)> fields)
    {
        if (context.Reader.MappingOrNull(node, path) is not { } resources)
        {
            return;
        }

        foreach (var entry in resources.Entries)
        {
            context.Reader.Errors.PublicNames.Add(entry.Key.Value);
            var resource = new ResourceDraft(entry.Key.Value, entry.Key.Start);
            into[entry.Key.Value] = resource;
            if (context.Reader.MappingOrNull(entry.Value, $"{path}.{entry.Key.Value}") is { } mapping)
            {
                fields.Apply(context.Reader, mapping, (context.Reader, resource), $"{path}.{entry.Key.Value}");
                ApplyLegacyExternalName(context.Reader, resource, $"{path}.{entry.Key.Value}");
            }
        }
    }

    /// <summary>
    /// `external: true`, or the legacy `external: { name: x }` that Compose still reads as
    /// `external: true` + `name: x` (files published in the file-format 3.x days use it).
    /// </summary>
    private static void ReadExternal((NodeReader Reader, ResourceDraft Draft) target, Node node, string path)
    {
        if (node is not MappingNode legacy)
        {
            target.Draft.External = target.Reader.Bool(node, path);
            return;
        }

        LegacyExternalFields.Apply(target.Reader, legacy, target, path);
        target.Draft.External = true;
    }

    private static readonly FieldTable<(NodeReader Reader, ResourceDraft Draft)> LegacyExternalFields =
        new FieldTable<(NodeReader Reader, ResourceDraft Draft)>()
            .Field("name", (target, node, path) =>
            {
                if (target.Reader.String(node, path) is { } name)
                {
                    target.Draft.LegacyExternalName = new Located<string>(name, node.Start);
                }
            });

    /// <summary>The legacy `external.name` becomes the name, after both keys are read (either order).</summary>
    private static void ApplyLegacyExternalName(NodeReader reader, ResourceDraft resource, string path)
    {
        if (resource.LegacyExternalName is not { } legacy)
        {
            return;
        }

        if (resource.Name is { } name && name != legacy.Value)
        {
            // As Compose: two names for one resource is a conflict, not a precedence rule.
            reader.Error(legacy.At, $"{path}.external.name ('{legacy.Value}') and {path}.name ('{name}') differ; keep only name: with external: true");
            return;
        }

        resource.Name = legacy.Value;
    }

    private static FieldTable<(NodeReader Reader, ResourceDraft Draft)> CommonResourceFields() =>
        new FieldTable<(NodeReader Reader, ResourceDraft Draft)>()
            .Field("external", ReadExternal)
            .Field("name", (target, node, path) => target.Draft.Name = target.Reader.String(node, path))
            .Field("driver", (target, node, path) => target.Draft.Driver = target.Reader.String(node, path))
            .Field("driver_opts", (target, node, path) => ReadMap(target.Reader, node, path, target.Draft.DriverOptions))
            .Field("labels", (target, node, path) => LabelReader.Read(target.Reader, node, path, target.Draft.Labels));

    private static readonly FieldTable<(NodeReader Reader, ResourceDraft Draft)> NetworkFields = CommonResourceFields()
        .Field("internal", (target, node, path) => target.Draft.Internal = target.Reader.Bool(node, path))
        .Field("enable_ipv6", (target, node, path) => target.Draft.EnableIpv6 = target.Reader.Bool(node, path))
        .Field("ipam", (target, node, path) =>
        {
            if (IpamSyntax.Read(target.Reader, node, path) is { } ipam)
            {
                target.Draft.Ipam = new Located<NetworkIpam>(ipam, node.Start);
            }
        })
        .Unsupported(["attachable", "enable_ipv4"]);

    private static readonly FieldTable<(NodeReader Reader, ResourceDraft Draft)> VolumeFields = CommonResourceFields();

    private static void ReadMap(NodeReader reader, Node node, string path, Dictionary<string, string> into)
    {
        foreach (var (key, value) in reader.KeyValues(node, path) ?? [])
        {
            into[key.Value] = value?.Value ?? "";
        }
    }

    private static readonly FieldTable<(ComposeReadContext Context, ComposeFileDraft Draft)> TopLevelFields =
        new FieldTable<(ComposeReadContext Context, ComposeFileDraft Draft)>()
            .Field("version", (target, node, path) => { }) // obsolete in Compose, accepted and ignored as Compose does
            .Field("name", (target, node, path) =>
            {
                if (target.Context.Reader.String(node, path) is { } name)
                {
                    target.Draft.Name = new Located<string>(name, node.Start);
                }
            })
            .Field("services", ReadServices)
            .Field("networks", (target, node, path) => ReadResources(target.Context, node, path, target.Draft.Networks, NetworkFields))
            .Field("volumes", (target, node, path) => ReadResources(target.Context, node, path, target.Draft.Volumes, VolumeFields))
            .Field("include", (target, node, path) => IncludeExtendsSyntax.ReadIncludes(target.Context, target.Draft, node, path))
            .Field("secrets", (target, node, path) => FileObjectReader.ReadDefinitions(target.Context, node, path, Model.FileMountKind.Secret, target.Draft.Secrets))
            .Field("configs", (target, node, path) => FileObjectReader.ReadDefinitions(target.Context, node, path, Model.FileMountKind.Config, target.Draft.Configs))
            .Unsupported(["models"]);
}

/// <summary>Compose's naming rules for services and projects (stacks).</summary>
internal static class ServiceNames
{
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 63 && char.IsAsciiLetterOrDigit(name[0])
        && name.All(character => char.IsAsciiLetterOrDigit(character) || character is '-' or '_' or '.');

    /// <summary>Compose project names: lowercase letters, digits, '-' and '_', starting with a letter or digit.</summary>
    public static bool IsValidStackName(string name) =>
        name.Length is > 0 and <= 63 && (char.IsAsciiLetterLower(name[0]) || char.IsAsciiDigit(name[0]))
        && name.All(character => char.IsAsciiLetterLower(character) || char.IsAsciiDigit(character) || character is '-' or '_');

    /// <summary>A directory name made into a project name, as Compose does: lowercased, other characters dropped.</summary>
    public static string NormaliseStackName(string directoryName)
    {
        var kept = new string([.. directoryName.ToLowerInvariant().Where(character => char.IsAsciiLetterLower(character) || char.IsAsciiDigit(character) || character is '-' or '_')]);
        return kept.TrimStart('-', '_');
    }

}
