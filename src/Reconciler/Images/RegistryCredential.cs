namespace Berth.Reconciler.Images;

/// <summary>
/// What authenticates berth and the engine to one registry: a user and password, or an identity
/// (refresh) token. Never logged: <see cref="ToString"/> names the user only.
/// </summary>
public sealed record RegistryCredential(string? Username, string? Password, string? IdentityToken)
{
    public override string ToString() => $"credential for {Username ?? "<token>"}";
}

/// <summary>Finds the credential for a registry at the moment it is needed (a pull, a registry check).</summary>
public interface IRegistryCredentials
{
    /// <param name="reference">The image whose registry is asked for.</param>
    /// <returns>The credential, or null when the host has none for that registry (anonymous access).</returns>
    /// <exception cref="RegistryCredentialException">The configuration or a credential helper is broken.</exception>
    Task<RegistryCredential?> ForAsync(RegistryReference reference, CancellationToken cancellationToken);
}

/// <summary>A host's registry configuration (config.json, a credential helper) cannot give a credential.</summary>
public sealed class RegistryCredentialException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No credentials: every registry is asked anonymously.</summary>
public sealed class NoRegistryCredentials : IRegistryCredentials
{
    public static readonly NoRegistryCredentials Instance = new();

    public Task<RegistryCredential?> ForAsync(RegistryReference reference, CancellationToken cancellationToken) => Task.FromResult<RegistryCredential?>(null);
}
