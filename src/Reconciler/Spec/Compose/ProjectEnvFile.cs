using Berth.Reconciler.Spec.Interpolation;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// The project's `.env`, read implicitly as docker compose reads it: the file `.env` in the project
/// directory (the directory of the stack's first Compose file), when present, gives variables for
/// interpolation only; it never goes into a container's environment (that is `env_file:`).
/// </summary>
/// <remarks>
/// Its values are the lowest precedence: berth.yaml's stack and host vars and the host-local env files
/// and environment override them, as the shell overrides `.env` in Compose. Its own lines interpolate
/// as every env file does: earlier lines of the file first, then the variables above (so a `.env` line
/// may use a host-local value; the result stays secret). Dotenv syntax, limits and errors with
/// file:line:column are those of `env_file:` (<see cref="EnvFileParser"/>, <see cref="FileLimits"/>).
/// </remarks>
internal static class ProjectEnvFile
{
    public const string FileName = ".env";

    /// <summary>The variable Compose takes the project name from; berth names stacks itself, so it must agree.</summary>
    public const string ProjectNameVariable = "COMPOSE_PROJECT_NAME";

    /// <summary>The project's `.env` as a repository path, for a stack whose first Compose file is <paramref name="firstComposeFile"/>.</summary>
    public static string PathFor(string firstComposeFile) =>
        RepositoryPath.DirectoryOf(firstComposeFile) is { Length: > 0 } directory ? $"{directory}/{FileName}" : FileName;

    /// <summary>
    /// <paramref name="variables"/> with the `.env` values beneath them; the same set when there is no
    /// `.env`. Problems with the file are added to <paramref name="errors"/>; its readable lines still count.
    /// </summary>
    public static (VariableSet Variables, DotEnv? File) Apply(IRepositoryFiles files, string firstComposeFile, VariableSet variables, ErrorCollector errors, EncryptedFiles? encryptedFiles = null) =>
        ApplyFile(files, PathFor(firstComposeFile), variables, errors, requiredAt: null, encryptedFiles);

    /// <summary>
    /// <paramref name="variables"/> with the dotenv file <paramref name="file"/> beneath them (an `include:`
    /// entry's `env_file`, or an included directory's `.env`). A missing file is an error at
    /// <paramref name="requiredAt"/>, or nothing when that is null (the implicit `.env` is optional). A
    /// SOPS-encrypted file is decrypted with <paramref name="encryptedFiles"/>; its values stay secret.
    /// </summary>
    public static (VariableSet Variables, DotEnv? File) ApplyFile(IRepositoryFiles files, string file, VariableSet variables, ErrorCollector errors, Location? requiredAt, EncryptedFiles? encryptedFiles = null)
    {
        var contents = RepositoryEnvFile.Read(
            files,
            file,
            requiredAt is null ? $"the project's {FileName}" : $"'{file}'",
            requiredAt is null ? null : $"'{file}' does not exist",
            message => errors.Add(requiredAt ?? Location.StartOf(file), message),
            encryptedFiles,
            errors);
        if (contents is not { } usable)
        {
            return (variables, null);
        }

        var (text, wasEncrypted) = usable;

        var secretNames = new HashSet<string>(StringComparer.Ordinal);
        var entries = EnvFileParser.Parse(file, text, variables, isSecret: wasEncrypted, errors, secretNames);
        var values = new Dictionary<string, Variable>(StringComparer.Ordinal);
        foreach (var (name, value) in entries)
        {
            values[name] = new Variable(value, secretNames.Contains(name));
        }

        return (variables.Beneath(values), new DotEnv(file, text, values));
    }

    /// <summary>What a `.env` held, to check the variables Compose itself reads from it.</summary>
    internal sealed record DotEnv(string File, string Text, IReadOnlyDictionary<string, Variable> Values)
    {
        /// <summary>Where <paramref name="name"/> is set (the last line that sets it), for an error.</summary>
        public Location LineOf(string name)
        {
            var lines = Text.Split('\n');
            for (var index = lines.Length - 1; index >= 0; index--)
            {
                var line = lines[index].TrimStart();
                var column = lines[index].Length - line.Length + 1;
                if (line.StartsWith("export ", StringComparison.Ordinal))
                {
                    var rest = line["export ".Length..].TrimStart();
                    column += line.Length - rest.Length;
                    line = rest;
                }

                if (line.StartsWith(name, StringComparison.Ordinal) && line[name.Length..].TrimStart() is "" or ['=', ..] or ['\r'])
                {
                    return new Location(File, index + 1, column);
                }
            }

            return Location.StartOf(File);
        }
    }
}
