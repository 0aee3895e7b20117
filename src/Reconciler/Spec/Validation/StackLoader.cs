using System.Collections.Immutable;
using Berth.Reconciler.Spec.Compose;
using Berth.Reconciler.Spec.Interpolation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Validation;

/// <summary>Loads one stack for one host: read each Compose file (with its includes and extends), interpolate, read, merge, build.</summary>
internal static class StackLoader
{
    /// <param name="stackName">The inventory's name for the stack; null without an inventory (then Compose `name:` or the directory).</param>
    /// <param name="profiles">berth.yaml's `profiles:` for the stack; null when not set (see <see cref="Profiles"/>).</param>
    /// <param name="host">The host loaded for, for `deploy.placement`; null: every service is placed here.</param>
    /// <param name="encryptedFiles">Decrypts SOPS env files; null: none can be.</param>
    /// <param name="fileObjects">Secrets and configs: the host's policy and key; default: <see cref="FileObjectLoad.Default"/>.</param>
    public static BuiltStack? Load(IRepositoryFiles files, string? stackName, IReadOnlyList<string> composeFiles, VariableSet variables, NodeReader reader, ImmutableArray<Located<string>>? profiles = null, PlacementHost? host = null, FileObjectLoad? fileObjects = null, EncryptedFiles? encryptedFiles = null)
    {
        fileObjects ??= FileObjectLoad.Default();
        var errorsBefore = reader.Errors.Count;
        ProjectEnvFile.DotEnv? dotEnv = null;
        if (composeFiles.Count > 0)
        {
            (variables, dotEnv) = ProjectEnvFile.Apply(files, composeFiles[0], variables, reader.Errors, encryptedFiles);
        }

        var fileSet = new ComposeFileSet(files, reader, composeFiles.Count > 0 ? ProjectEnvFile.PathFor(composeFiles[0]) : ProjectEnvFile.FileName, fileObjects, encryptedFiles);
        var drafts = new List<ComposeFileDraft>();
        foreach (var file in composeFiles)
        {
            if (fileSet.LoadResolved(file, variables) is { } draft)
            {
                drafts.Add(draft);
            }
        }

        if (drafts.Count != composeFiles.Count)
        {
            return null;
        }

        var merged = ComposeMerger.Merge(drafts);
        // Without an inventory, COMPOSE_PROJECT_NAME in `.env` wins over `name:` and the directory, as in Compose.
        var name = stackName is null && ProjectNameOf(dotEnv, reader) is { } projectName
            ? projectName
            : ResolveName(files, stackName, merged, reader);
        if (name is null)
        {
            return null;
        }

        if (stackName is not null)
        {
            CheckProjectName(dotEnv, stackName, reader);
        }

        // A stack whose every service is in an inactive profile runs nothing on this host: no stack at
        // all, rather than an empty one (a host var COMPOSE_PROFILES may switch it on elsewhere).
        Links.Apply(merged, reader);
        var hadServices = merged.Services.Count > 0;
        Profiles.Apply(merged, name, profiles, variables, reader);
        if (host is not null)
        {
            Placement.Apply(merged, host, reader);
        }
        if (hadServices && merged.Services.Count == 0)
        {
            return null;
        }

        var built = StackBuilder.Build(name, [.. composeFiles], merged, reader);
        return reader.Errors.Count > errorsBefore ? null : built;
    }

    /// <summary>
    /// Without an inventory, COMPOSE_PROJECT_NAME in `.env` names the project as in Compose (over
    /// `name:` and the directory's name); null when it is not set or not a valid name (an error then).
    /// </summary>
    private static string? ProjectNameOf(ProjectEnvFile.DotEnv? dotEnv, NodeReader reader)
    {
        if (dotEnv is null || !dotEnv.Values.TryGetValue(ProjectEnvFile.ProjectNameVariable, out var projectName))
        {
            return null;
        }

        if (ServiceNames.IsValidStackName(projectName.Value))
        {
            return projectName.Value;
        }

        reader.Error(dotEnv.LineOf(ProjectEnvFile.ProjectNameVariable), $"{ProjectEnvFile.ProjectNameVariable}: invalid project name {Shown(projectName)} (lowercase letters, digits, '-', '_'; starting with a letter or digit)");
        return null;
    }

    /// <summary>
    /// With an inventory the stack's name there is the project name; a different COMPOSE_PROJECT_NAME
    /// in `.env` would make Compose name every container, network and volume otherwise, so it is an error.
    /// </summary>
    private static void CheckProjectName(ProjectEnvFile.DotEnv? dotEnv, string stackName, NodeReader reader)
    {
        if (dotEnv is null || !dotEnv.Values.TryGetValue(ProjectEnvFile.ProjectNameVariable, out var projectName) || projectName.Value == stackName)
        {
            return;
        }

        reader.Error(dotEnv.LineOf(ProjectEnvFile.ProjectNameVariable), $"{ProjectEnvFile.ProjectNameVariable} {Shown(projectName)} differs from the stack's name in berth.yaml, '{stackName}', after which berth names its containers, networks and volumes; remove the line or make the names equal");
    }

    private static string Shown(Interpolation.Variable variable) =>
        variable.IsSecret ? "(value hidden: it comes from a host-local variable)" : $"'{(variable.Value.Length > 80 ? variable.Value[..77] + "..." : variable.Value)}'";

    private static string? ResolveName(IRepositoryFiles files, string? stackName, ComposeFileDraft merged, NodeReader reader)
    {
        if (stackName is not null)
        {
            if (merged.Name is { } composeName && composeName.Value != stackName)
            {
                reader.Error(composeName.At, $"Compose name '{composeName.Value}' differs from the stack's name '{stackName}' in berth.yaml; remove 'name:' or make them equal");
            }

            return stackName;
        }

        if (merged.Name is { } name)
        {
            if (ServiceNames.IsValidStackName(name.Value))
            {
                return name.Value;
            }

            reader.Error(name.At, $"invalid project name '{name.Value}' (lowercase letters, digits, '-', '_'; starting with a letter or digit)");
            return null;
        }

        var directoryName = Path.GetFileName(files.RootPath.TrimEnd('/', '\\'));
        var normalised = ServiceNames.NormaliseStackName(directoryName);
        if (normalised.Length == 0)
        {
            reader.Error(Location.StartOf(merged.File), $"cannot make a stack name from the directory name '{directoryName}'; set the Compose top-level 'name:'");
            return null;
        }

        return normalised;
    }
}
