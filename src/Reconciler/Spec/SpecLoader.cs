using System.Collections.Immutable;
using Berth.Reconciler.Spec.Compose;
using Berth.Reconciler.Spec.Interpolation;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Validation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec;

/// <summary>
/// Loads a desired-state repository (berth.yaml plus Compose files, or a bare Compose project) into
/// the immutable model, validating all of it. Never throws on bad content: every problem comes back
/// as a <see cref="SpecError"/> with file, line and column, all of them at once (a symbolic link
/// leading out of the repository too). Only I/O fails by exception: a missing repository directory
/// (DirectoryNotFoundException) or a file that exists but cannot be read (IOException,
/// UnauthorizedAccessException), which a retry may fix and an edit cannot.
/// </summary>
public static class SpecLoader
{
    public static readonly ImmutableArray<string> InventoryFileNames = ["berth.yaml", "berth.yml"];

    /// <summary>In Compose's order of preference.</summary>
    public static readonly ImmutableArray<string> ComposeFileNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

    /// <summary>The desired state of <paramref name="host"/>: the stacks berth.yaml assigns to it.</summary>
    /// <param name="hostDirectory">Where the files will live for the containers, if not <paramref name="repositoryDirectory"/>: relative bind sources resolve against it.</param>
    public static HostLoadResult LoadHost(string repositoryDirectory, string host, SpecLoadOptions? options = null, string? hostDirectory = null) =>
        LoadHost(new DirectoryRepositoryFiles(repositoryDirectory, hostDirectory), host, options ?? SpecLoadOptions.Default);

    /// <summary>The hosts of the inventory and the inventory's own errors, for `berth validate` without --host.</summary>
    public static RepositoryLoadResult LoadInventory(string repositoryDirectory, SpecLoadOptions? options = null) =>
        LoadInventory(new DirectoryRepositoryFiles(repositoryDirectory));

    internal static RepositoryLoadResult LoadInventory(IRepositoryFiles files)
    {
        var reader = new NodeReader(new ErrorCollector());
        RepositoryLayout layout;
        try
        {
            layout = RepositoryLayout.Read(files, reader);
        }
        catch (RepositoryEscapeException escape)
        {
            return new RepositoryLoadResult([], [EscapeError(escape)]);
        }

        var hosts = layout.Inventory?.Hosts.Keys.ToImmutableArray() ?? [];
        return new RepositoryLoadResult(hosts, reader.Errors.ToSortedArray(), HasInventory: layout.Inventory is not null || layout.RootComposeFile is null);
    }

    internal static HostLoadResult LoadHost(IRepositoryFiles files, string host, SpecLoadOptions options)
    {
        try
        {
            return LoadHostFiles(new ReadBudgetRepositoryFiles(files, FileLimits.BytesPerLoad), host, options);
        }
        catch (RepositoryEscapeException escape)
        {
            // Reading stops at the first such link: the errors found before it are not the point.
            return new HostLoadResult(host, null, [EscapeError(escape)], HostInInventory: true);
        }
    }

    private static SpecError EscapeError(RepositoryEscapeException escape) =>
        new(escape.RelativePath, 1, 1, RepositoryEscapeException.Describe(escape.Kind) + "; berth reads only files inside the repository (copy the file in, or link to a path inside it)");

    private static HostLoadResult LoadHostFiles(IRepositoryFiles files, string host, SpecLoadOptions options)
    {
        var reader = new NodeReader(new ErrorCollector());
        var layout = RepositoryLayout.Read(files, reader);
        var encryptedFiles = new EncryptedFiles(options.AgeKey);
        var hostLocal = HostVariables.Read(options, reader.Errors, encryptedFiles);
        var stacks = new List<BuiltStack>();
        var settings = layout.Inventory?.Settings ?? RepositorySettings.Default;
        var hostInInventory = true;
        var knownHosts = layout.Inventory?.Hosts.Keys.ToImmutableArray() ?? [];
        var fileObjects = options.FileSources is { } fileSources ? new FileObjectLoad(fileSources) : FileObjectLoad.Default();

        if (layout.Inventory is { } inventory)
        {
            if (inventory.Hosts.TryGetValue(host, out var inventoryHost))
            {
                foreach (var stack in inventory.StacksFor(inventoryHost))
                {
                    // Precedence, lowest first: stack vars, host vars, host-local env files and environment (secrets).
                    var variables = VariableSet.Empty
                        .Overlay(stack.Vars, isSecret: false)
                        .Overlay(inventoryHost.Vars, isSecret: false)
                        .Overlay(hostLocal, isSecret: true);
                    if (stack.ComposeFiles.Length > 0
                        && StackLoader.Load(files, stack.Name, [.. stack.ComposeFiles.Select(file => file.Value)], variables, reader, stack.Profiles, new PlacementHost(host, inventoryHost.Labels), fileObjects, encryptedFiles) is { } built)
                    {
                        stacks.Add(built);
                    }
                }
            }
            else
            {
                hostInInventory = false;
            }
        }
        else if (layout.RootComposeFile is { } composeFile)
        {
            var variables = VariableSet.Empty.Overlay(hostLocal, isSecret: true);
            if (StackLoader.Load(files, stackName: null, [composeFile], variables, reader, host: new PlacementHost(host, ImmutableSortedDictionary<string, string>.Empty), fileObjects: fileObjects, encryptedFiles: encryptedFiles) is { } built)
            {
                stacks.Add(built);
            }
        }

        ContainerNameCheck.Report(stacks, reader);
        ResourceNameCheck.Report(stacks, reader);

        // Only a state that is valid as written is judged: the policy speaks about what would run.
        if (options.Policy is { } policy && reader.Errors.Count == 0)
        {
            Policy.HostPolicyCheck.Report(stacks, policy, files.RootPath, reader);
        }

        // Pinned images: the host's rule and the repository's (berth.yaml `policy:`), the stricter of the two.
        if (reader.Errors.Count == 0)
        {
            var hostPinning = options.Policy is { PinnedImages: not Policy.ImagePinning.None } pinningPolicy ? new Policy.PinningSource(pinningPolicy.PinnedImages, null) : null;
            Policy.PinnedImageRule.Report(stacks, hostPinning, layout.Inventory?.PinnedImages, reader);
        }

        // The contents of secrets and decrypted SOPS values are masked like host-local values: an error must never show one.
        var secretValues = hostLocal.Values.Concat(fileObjects.SecretValues).Concat(encryptedFiles.DecryptedValues).ToList();
        var errors = reader.Errors.ToSortedArray(secretValues: secretValues);
        var state = errors.IsEmpty
            ? new DesiredState(host, [.. stacks.Select(stack => stack.Spec).OrderBy(stack => stack.Name, StringComparer.Ordinal)], settings)
            {
                // Which hosts go before this one comes from this commit's own inventory (docs/fleet.md, "Waves").
                Wave = layout.Inventory is { } waves && waves.Hosts.TryGetValue(host, out var waveHost) ? waves.PositionOf(waveHost) : null,
                // Masked out of what berth copies from elsewhere (progress lines, container logs in gate evidence).
                Secrets = SecretValues.Of(secretValues),
                Policy = options.Policy is { } judgedBy ? new Policy.HostPolicyScope(judgedBy, files.RootPath) : null,
            }
            : null;
        return new HostLoadResult(host, state, errors, hostInInventory)
        {
            InventoryFile = layout.Inventory?.File,
            KnownHosts = knownHosts,
        };
    }
}

/// <summary>Which kind of repository this is: an inventory (berth.yaml), or one Compose project at the root.</summary>
internal sealed record RepositoryLayout(Inventory.HostInventory? Inventory, string? RootComposeFile)
{
    public static RepositoryLayout Read(IRepositoryFiles files, NodeReader reader)
    {
        var inventoryFiles = SpecLoader.InventoryFileNames.Where(files.Exists).ToList();
        if (inventoryFiles.Count > 1)
        {
            reader.Error(Location.StartOf(inventoryFiles[1]), $"both {inventoryFiles[0]} and {inventoryFiles[1]} exist; keep one");
        }

        if (inventoryFiles.Count > 0)
        {
            var file = inventoryFiles[0];
            var read = files.ReadText(file, FileLimits.InventoryFileBytes);
            if (read.IsTooLarge)
            {
                reader.Error(Location.StartOf(file), FileLimits.TooLarge("inventory file", FileLimits.InventoryFileBytes, read.Length));
            }

            // An empty berth.yaml is a valid inventory with no hosts (a refused one too: its error stands).
            var root = YamlDocumentLoader.Load(file, read.Text ?? "", reader.Errors, out _);
            var inventory = root is null
                ? new Inventory.HostInventory(file, ImmutableSortedDictionary<string, Inventory.InventoryHost>.Empty, ImmutableSortedDictionary<string, Inventory.InventoryStack>.Empty, RepositorySettings.Default)
                : Spec.Inventory.InventoryReader.Read(file, root, files, reader);
            return new RepositoryLayout(inventory, null);
        }

        var composeFile = SpecLoader.ComposeFileNames.FirstOrDefault(files.Exists);
        if (composeFile is null)
        {
            reader.Error(Location.StartOf("berth.yaml"), $"not a berth repository: no berth.yaml, and no Compose file ({string.Join(", ", SpecLoader.ComposeFileNames)}) at the root");
        }

        return new RepositoryLayout(null, composeFile);
    }
}

/// <summary>The host-local variables: env files in order, then the environment (highest). All secrets.</summary>
internal static class HostVariables
{
    public static Dictionary<string, string> Read(SpecLoadOptions options, ErrorCollector errors, EncryptedFiles? encryptedFiles = null)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in options.HostEnvFiles)
        {
            LimitedText read;
            HostInputs.FileContent(file);
            try
            {
                read = LimitedFile.ReadText(file, FileLimits.EnvFileBytes);
            }
            catch (IOException exception)
            {
                errors.Add(Location.StartOf(file), $"cannot read host env file: {exception.Message}");
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                errors.Add(Location.StartOf(file), "cannot read host env file: permission denied");
                continue;
            }

            if (read.Text is null)
            {
                errors.Add(Location.StartOf(file), FileLimits.TooLarge("host env file", FileLimits.EnvFileBytes, read.Length, " for an env file"));
                continue;
            }

            // A host env file may be a SOPS file too (the same file in every host's configuration management, say).
            if ((encryptedFiles ?? EncryptedFiles.None).Decrypt(file, read.Text, errors).Text is not { } text)
            {
                continue;
            }

            // Host env files interpolate only with what came before them (not with the repository's vars).
            var known = VariableSet.Empty.Overlay(values, isSecret: true);
            foreach (var (key, value) in EnvFileParser.Parse(file, text, known, isSecret: true, errors))
            {
                values[key] = value;
            }
        }

        foreach (var (key, value) in options.HostEnvironment)
        {
            values[key] = value;
        }

        return values;
    }
}
