using Berth.Reconciler.Spec.Interpolation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>What reading one Compose file needs besides its tree.</summary>
/// <param name="File">Repository-relative path of the Compose file.</param>
/// <param name="Variables">For `env_file` contents and bare `environment` keys (the tree is already interpolated).</param>
/// <param name="EncryptedFiles">Decrypts SOPS env files; null: <see cref="EncryptedFiles.None"/>.</param>
internal sealed record ComposeReadContext(NodeReader Reader, IRepositoryFiles Files, string File, VariableSet Variables, EncryptedFiles? EncryptedFiles = null)
{
    /// <summary>
    /// What the file's relative paths resolve against: its own directory, or the `project_directory` of
    /// the `include:` entry that named it (<see cref="BaseDirectory"/>).
    /// </summary>
    public string RelativeDirectory => BaseDirectory ?? RepositoryPath.DirectoryOf(File);

    /// <summary>An include's `project_directory` (repository-relative, "" for the root), or null.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>Absolute directory of the Compose file on this host: relative bind sources resolve against it.</summary>
    public string AbsoluteDirectory => Path.GetFullPath(Path.Combine(Files.RootPath, RelativeDirectory));

    /// <summary>The host's policy for secrets and configs, and their contents read so far (for masking).</summary>
    public FileObjectLoad FileObjects { get; init; } = FileObjectLoad.Default();
}

/// <summary>The target of a service's field readers.</summary>
internal sealed record ServiceTarget(ComposeReadContext Context, ServiceDraft Draft)
{
    public NodeReader Reader => Context.Reader;
}
