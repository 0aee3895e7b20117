namespace Berth.Reconciler.Secrets.Sops;

/// <summary>
/// One leaf of a SOPS document, in document order: the order is part of the MAC. The path holds the
/// mapping keys down to it; list positions are not part of it (SOPS leaves them out of the additional
/// data too).
/// </summary>
internal sealed class SopsLeaf(IReadOnlyList<string> path, string text, SopsScalarKind kind, int line, int column)
{
    public IReadOnlyList<string> Path { get; } = path;

    /// <summary>As stored: `ENC[...]` for an encrypted value, the value itself for one left in the clear.</summary>
    public string Text { get; } = text;

    public SopsScalarKind Kind { get; } = kind;

    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>Set by decryption: the value's bytes and its SOPS type (str, int, float, bool, bytes).</summary>
    public byte[]? Plaintext { get; set; }

    public string PlainType { get; set; } = "str";

    /// <summary>Whether the plaintext came out of an ENC[...] value (the rest were in the clear already).</summary>
    public bool WasEncrypted { get; set; }

    /// <summary>SOPS's additional data for this leaf: the path joined with ':' and ending in ':'.</summary>
    public string AdditionalData => string.Join(':', Path) + ":";
}

/// <summary>What a value left in the clear is, which decides the bytes it contributes to the MAC (SOPS's ToBytes).</summary>
internal enum SopsScalarKind
{
    String,
    Integer,
    Float,
    Boolean,
}

/// <summary>A parsed SOPS document: its metadata, its leaves in order, and how to write its plaintext form.</summary>
internal abstract class SopsTree(SopsMetadata metadata, IReadOnlyList<SopsLeaf> leaves, int metadataLine)
{
    public SopsMetadata Metadata { get; } = metadata;

    public IReadOnlyList<SopsLeaf> Leaves { get; } = leaves;

    /// <summary>Where the metadata starts, for errors about the file as a whole.</summary>
    public int MetadataLine { get; } = metadataLine;

    /// <summary>The decrypted document, as `sops --decrypt` writes it (valid once every leaf has its plaintext).</summary>
    public abstract byte[] Plaintext();
}
