#!/usr/bin/env python3
"""Says what kind of berth binary a file is, for results.md: "Native AOT", "ReadyToRun single file",
"single file, JIT only" or "IL assembly (`dotnet berth.dll`), JIT only". Read from the file itself, not
from how it was built, so a results file cannot claim what did not run.

  berth_kind.py PATH      prints one line

- A single-file .NET app is the apphost with a bundle appended: the apphost holds the bundle's header
  offset in the 8 bytes before a fixed 32-byte signature (dotnet/runtime, HostModel's HostWriter); the
  bundle's manifest lists the embedded files.
- An assembly is ReadyToRun when its CLI header's ManagedNativeHeader points at a READYTORUN_HEADER
  ("RTR"); IL only when it is empty.
- Native AOT output is a plain ELF executable without a bundle that exports the runtime's
  DotNetRuntimeDebugHeader (the symbol debuggers find it by).
"""
import struct
import sys

BUNDLE_SIGNATURE = bytes([
    0x8b, 0x12, 0x02, 0xb9, 0x6a, 0x61, 0x20, 0x38, 0x72, 0x7b, 0x93, 0x02, 0x14, 0xd7, 0xa0, 0x32,
    0x13, 0xf5, 0xb9, 0xe6, 0xef, 0xae, 0x33, 0x18, 0xee, 0x3b, 0x2d, 0xce, 0x24, 0xb3, 0x6a, 0xae])
READYTORUN_SIGNATURE = 0x00525452   # "RTR"
CLI_HEADER_DIRECTORY = 14


def read_string(data, pos):
    """A .NET BinaryWriter string: 7-bit encoded length, then UTF-8."""
    length, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    return data[pos:pos + length].decode("utf-8"), pos + length


def bundle_files(data):
    """{relative path: bytes} of a single-file bundle, or None when the file is not one."""
    at = data.find(BUNDLE_SIGNATURE)
    if at < 8:
        return None
    (header_offset,) = struct.unpack_from("<q", data, at - 8)
    if header_offset <= 0 or header_offset >= len(data):
        return None
    major, _minor, count = struct.unpack_from("<IIi", data, header_offset)
    _bundle_id, pos = read_string(data, header_offset + 12)
    if major >= 2:
        pos += 8 * 4 + 8   # deps.json and runtimeconfig.json locations, flags
    files = {}
    for _ in range(count):
        offset, size = struct.unpack_from("<qq", data, pos)
        pos += 16
        compressed = 0
        if major >= 6:
            (compressed,) = struct.unpack_from("<q", data, pos)
            pos += 8
        pos += 1   # file type
        path, pos = read_string(data, pos)
        # A compressed entry cannot be read without inflating it; berth's are not compressed.
        files[path] = None if compressed else data[offset:offset + size]
    return files


def is_ready_to_run(pe):
    """True for a ReadyToRun assembly, False for IL only; None when it is not a readable PE file."""
    try:
        (pe_offset,) = struct.unpack_from("<I", pe, 0x3C)
        if pe[pe_offset:pe_offset + 4] != b"PE\0\0":
            return None
        coff = pe_offset + 4
        sections, = struct.unpack_from("<H", pe, coff + 2)
        optional_size, = struct.unpack_from("<H", pe, coff + 16)
        optional = coff + 20
        magic, = struct.unpack_from("<H", pe, optional)
        directories = optional + (96 if magic == 0x10B else 112)
        cli_rva, _ = struct.unpack_from("<II", pe, directories + 8 * CLI_HEADER_DIRECTORY)

        def file_offset(rva):
            table = optional + optional_size
            for i in range(sections):
                virtual_size, virtual_address, raw_size, raw_pointer = struct.unpack_from("<IIII", pe, table + 40 * i + 8)
                if virtual_address <= rva < virtual_address + max(virtual_size, raw_size):
                    return rva - virtual_address + raw_pointer
            return None

        cli = file_offset(cli_rva)
        if cli is None:
            return None
        native_rva, _ = struct.unpack_from("<II", pe, cli + 64)   # ManagedNativeHeader
        if native_rva == 0:
            return False
        native = file_offset(native_rva)
        return native is not None and struct.unpack_from("<I", pe, native)[0] == READYTORUN_SIGNATURE
    except struct.error:
        return None


def describe(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"MZ":
        r2r = is_ready_to_run(data)
        return {True: "ReadyToRun IL assembly, run with `dotnet`",
                False: "IL assembly, run with `dotnet`, JIT only"}.get(r2r, "unreadable PE file")
    if data[:4] != b"\x7fELF":
        return "not an executable berth knows"
    files = bundle_files(data)
    if files is None:
        if b"DotNetRuntimeDebugHeader" in data:
            return "Native AOT"
        return "native executable, not a .NET single file nor Native AOT"
    kinds = {}
    for name in ("berth.dll", "Reconciler.dll"):
        if name in files and files[name] is not None:
            kinds[name] = is_ready_to_run(files[name])
    if kinds and all(kinds.values()):
        return "ReadyToRun single file"
    if kinds and not any(kinds.values()):
        return "single file, JIT only"
    return "single file (" + ", ".join(f"{k}: {'ReadyToRun' if v else 'IL'}" for k, v in kinds.items()) + ")"


if __name__ == "__main__":
    print(describe(sys.argv[1]))
