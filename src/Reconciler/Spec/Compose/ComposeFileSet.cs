using Berth.Reconciler.Spec.Interpolation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// The Compose files of one stack, read as Compose reads them: each file read and interpolated once
/// per set of variables; its `include:` entries folded in (each included file interpolated with its
/// own `.env` or `env_file`, its relative paths resolved against its own directory or the include's
/// `project_directory`); then every
/// service's `extends:` resolved on its base, from the same file or another, before the stack's own
/// files are merged as overrides. Order as in Compose: include first, so a service may extend an
/// included one. Files and services form a graph; a cycle is an error at the reference that closes it.
/// </summary>
/// <param name="fileObjects">How secrets' and configs' contents are read and hashed on this host.</param>
/// <param name="encryptedFiles">Decrypts SOPS env files (included directories' `.env`, `env_file:`); null: none can be.</param>
internal sealed class ComposeFileSet(IRepositoryFiles files, NodeReader reader, string projectEnvFile, FileObjectLoad fileObjects, EncryptedFiles? encryptedFiles = null)
{
    /// <summary>Keyed by file, the variables it was interpolated with (by reference: one set per include) and the directory its paths resolve against.</summary>
    private readonly Dictionary<(string File, VariableSet Variables, string? BaseDirectory), ComposeFileDraft?> loaded = [];

    /// <summary>The files being loaded, outermost first: one named again is a cycle.</summary>
    private readonly List<string> loading = [];

    /// <summary>A stack's own Compose file: loaded, with every service's `extends:` resolved.</summary>
    public ComposeFileDraft? LoadResolved(string file, VariableSet variables)
    {
        var draft = Load(file, variables);
        if (draft is not null)
        {
            ResolveExtends(draft, variables);
        }

        return draft;
    }

    /// <summary>
    /// The file with its includes folded in; null when it could not be read or parsed (the errors are
    /// added, at <paramref name="referencedAt"/> when another file names it). Its services' `extends:`
    /// are resolved by the caller, and lazily in a file another one extends from: as in Compose, only
    /// the services referenced are (so two files may extend from each other without a cycle).
    /// </summary>
    /// <param name="baseDirectory">An include's project_directory: what the file's relative paths resolve against; null: its own directory.</param>
    public ComposeFileDraft? Load(string file, VariableSet variables, Location? referencedAt = null, string? baseDirectory = null)
    {
        if (loading.Contains(file))
        {
            reader.Error(referencedAt ?? Location.StartOf(file), $"'{file}' includes or extends itself: {string.Join(" → ", loading.SkipWhile(name => name != file).Append(file))}");
            return null;
        }

        if (loaded.TryGetValue((file, variables, baseDirectory), out var cached))
        {
            return cached;
        }

        var draft = Read(file, variables, referencedAt, baseDirectory);
        if (draft is not null)
        {
            loading.Add(file);
            try
            {
                FoldIncludes(draft, variables);
            }
            finally
            {
                loading.RemoveAt(loading.Count - 1);
            }
        }

        loaded[(file, variables, baseDirectory)] = draft;
        return draft;
    }

    private ComposeFileDraft? Read(string file, VariableSet variables, Location? referencedAt, string? baseDirectory)
    {
        var at = referencedAt ?? Location.StartOf(file);
        var named = referencedAt is null ? "" : $"'{file}': ";
        var read = files.ReadText(file, FileLimits.ComposeFileBytes);
        if (read.IsTooLarge)
        {
            reader.Error(at, named + FileLimits.TooLarge("Compose file", FileLimits.ComposeFileBytes, read.Length));
            return null;
        }

        if (read.IsOverReadBudget)
        {
            reader.Error(at, FileLimits.OverReadBudget(file));
            return null;
        }

        if (read.Text is null)
        {
            reader.Error(at, referencedAt is null ? "Compose file does not exist" : $"Compose file '{file}' does not exist");
            return null;
        }

        var root = YamlDocumentLoader.Load(file, read.Text, reader.Errors, out var isEmpty);
        if (isEmpty)
        {
            reader.Error(Location.StartOf(file), "Compose file is empty");
        }

        if (root is null)
        {
            return null;
        }

        var interpolated = TreeInterpolator.Interpolate(root, variables, reader.Errors);
        return ComposeFileReader.Read(new ComposeReadContext(reader, files, file, variables, encryptedFiles) { FileObjects = fileObjects, BaseDirectory = baseDirectory }, interpolated);
    }

    /// <summary>
    /// Adds what each `include:` entry defines. As in Compose, an included service may not be defined
    /// again by the including file (an override belongs in berth.yaml's `compose:` list); a network or
    /// volume both define is fine when both say the same.
    /// </summary>
    private void FoldIncludes(ComposeFileDraft draft, VariableSet variables)
    {
        foreach (var include in draft.Includes)
        {
            var includeVariables = VariablesFor(include, variables);
            var parts = include.Paths.Select(path => Load(path.Value, includeVariables, path.At, include.ProjectDirectory)).ToList();
            if (parts.Any(part => part is null))
            {
                continue;
            }

            // Every service of an included file joins the project: all of their extends are resolved.
            foreach (var part in parts)
            {
                ResolveExtends(part!, includeVariables);
            }

            var included = parts.Count == 1 ? parts[0]! : ComposeMerger.Merge([new ComposeFileDraft(parts[0]!.File), .. parts!]);
            foreach (var (name, service) in included.Services)
            {
                if (draft.Services.TryGetValue(name, out var own))
                {
                    reader.Error(own.KeyLocation, $"service '{name}' is also defined by the included file '{included.File}' ({service.KeyLocation}); Compose refuses to redefine an included service: list an override file under the stack's 'compose:' in berth.yaml instead");
                    continue;
                }

                draft.Services[name] = service;
            }

            AddResources("network", draft.Networks, included.Networks, included.File);
            AddResources("volume", draft.Volumes, included.Volumes, included.File);
            AddFileObjects("secret", draft.Secrets, included.Secrets, included.File);
            AddFileObjects("config", draft.Configs, included.Configs, included.File);
        }
    }

    private void AddResources(string kind, Dictionary<string, ResourceDraft> into, Dictionary<string, ResourceDraft> included, string includedFile)
    {
        foreach (var (key, resource) in included)
        {
            if (!into.TryGetValue(key, out var own))
            {
                into[key] = resource;
            }
            else if (!SameDefinition(own, resource))
            {
                reader.Error(own.KeyLocation, $"{kind} '{key}' is also defined, differently, by the included file '{includedFile}' ({resource.KeyLocation}); define it in one place");
            }
        }
    }

    /// <summary>A secret or config both define must be the same content (compared by its keyed hash).</summary>
    private void AddFileObjects(string kind, Dictionary<string, FileObjectDraft> into, Dictionary<string, FileObjectDraft> included, string includedFile)
    {
        foreach (var (key, fileObject) in included)
        {
            if (!into.TryGetValue(key, out var own))
            {
                into[key] = fileObject;
            }
            else if (own.ContentKey != fileObject.ContentKey)
            {
                reader.Error(own.KeyLocation, $"{kind} '{key}' is also defined, with other content, by the included file '{includedFile}' ({fileObject.KeyLocation}); define it in one place");
            }
        }
    }

    private static bool SameDefinition(ResourceDraft left, ResourceDraft right) =>
        left.External == right.External && left.Name == right.Name && left.Driver == right.Driver && left.Internal == right.Internal
        && left.EnableIpv6 == right.EnableIpv6 && Equals(left.Ipam?.Value, right.Ipam?.Value)
        && left.DriverOptions.Count == right.DriverOptions.Count && !left.DriverOptions.Except(right.DriverOptions).Any()
        && left.Labels.Count == right.Labels.Count && !left.Labels.Except(right.Labels).Any();

    /// <summary>
    /// The stack's variables with the include's env files beneath them; without any, the included
    /// directory's `.env` (unless it is the stack's own, already applied), as Compose reads it.
    /// </summary>
    private VariableSet VariablesFor(IncludeDraft include, VariableSet variables)
    {
        if (include.EnvFiles.Count == 0)
        {
            // Compose reads the project directory's .env: the first file's own, unless project_directory says another.
            var implicitEnv = include.ProjectDirectory is { } projectDirectory
                ? (projectDirectory.Length == 0 ? ProjectEnvFile.FileName : $"{projectDirectory}/{ProjectEnvFile.FileName}")
                : ProjectEnvFile.PathFor(include.Paths[0].Value);
            return implicitEnv == projectEnvFile
                ? variables
                : ProjectEnvFile.ApplyFile(files, implicitEnv, variables, reader.Errors, requiredAt: null, encryptedFiles).Variables;
        }

        // Later env files win over earlier ones, as in Compose; each is put beneath what is already
        // there, so the last goes first.
        foreach (var envFile in include.EnvFiles.Reverse())
        {
            variables = ProjectEnvFile.ApplyFile(files, envFile.Value, variables, reader.Errors, requiredAt: envFile.At, encryptedFiles).Variables;
        }

        return variables;
    }

    private void ResolveExtends(ComposeFileDraft draft, VariableSet variables)
    {
        foreach (var name in draft.Services.Keys.ToList())
        {
            Resolve(draft, name, variables, []);
        }
    }

    /// <summary>
    /// The service built on its base: the base's fields, overlaid with its own by the rules that merge
    /// override files (<see cref="ComposeMerger.MergeService"/>), which are Compose's rules for extends too.
    /// A base in another file keeps the paths that file resolved against its own directory.
    /// </summary>
    private ServiceDraft Resolve(ComposeFileDraft draft, string name, VariableSet variables, List<string> chain)
    {
        var service = draft.Services[name];
        if (service.Extends is not { } extends)
        {
            return service;
        }

        var link = $"{draft.File}:{name}";
        if (chain.Contains(link))
        {
            reader.Error(extends.At, $"services.{name}.extends: a cycle: {string.Join(" → ", chain.SkipWhile(item => item != link).Append(link).Select(ServiceOf))}");
            service.Extends = null;
            service.ExtendsFailed = true;
            return service;
        }

        chain.Add(link);
        var result = service;
        var baseFile = extends.File is null || extends.File == draft.File ? draft : Load(extends.File, variables, extends.At);
        service.ExtendsFailed |= baseFile is null || !baseFile.Services.ContainsKey(extends.Service);
        if (baseFile is not null)
        {
            if (!baseFile.Services.ContainsKey(extends.Service))
            {
                reader.Error(extends.At, $"services.{name}.extends: no service '{extends.Service}' in '{baseFile.File}'{reader.Hint(extends.Service, baseFile.Services.Keys)}");
            }
            else
            {
                var baseService = Resolve(baseFile, extends.Service, variables, chain);
                result = new ServiceDraft(name, service.KeyLocation);
                ComposeMerger.MergeService(result, baseService);
                ComposeMerger.MergeService(result, service);
            }
        }

        chain.RemoveAt(chain.Count - 1);
        service.Extends = null;
        draft.Services[name] = result;
        return result;
    }

    private static string ServiceOf(string link) => link[(link.LastIndexOf(':') + 1)..];
}
