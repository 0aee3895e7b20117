#!/usr/bin/env bash
# Builds artifacts/berth_<version>_amd64.deb with plain dpkg-deb (no debhelper):
#   /usr/bin/berth                        -> /usr/lib/berth/berth (self-contained, single file)
#   /usr/lib/berth/libgit2-*.so           LibGit2Sharp's native library, next to the binary
#   /lib/systemd/system/berth.service     packaging/systemd/berth.service
#   /etc/berth/berth.yaml                 packaging/berth.yaml, a conffile
#   /usr/share/doc/berth/                 copyright, changelog.gz, install.md
#   /usr/share/man/man1/berth.1.gz        the man page
#   /usr/share/lintian/overrides/berth    the justified lintian overrides (each commented there)
# The state directory /var/lib/berth is created by postinst (and by systemd's StateDirectory=); it is
# not shipped, so dpkg never tries to remove it: only purge does.
#
# Version: <VersionPrefix> in Directory.Build.props, the one place it is set. BERTH_VERSION overrides
# it (tests build a "newer" package for the upgrade check); it must be a plain x.y.z version.
# Options (environment):
#   BERTH_VERSION       package and binary version (default: from Directory.Build.props)
#   BERTH_DEB_OUT       output directory (default: artifacts/)
#   BERTH_LINTIAN=1     run lintian on the result (installs lintian via apt if missing); errors fail the build
# Installs binutils (strip) via apt when missing; needs root then.
#   BERTH_REUSE_PUBLISH=1  package the existing publish output of this version (packaging changes only)
#   BERTH_DEB_COMPRESSION  dpkg-deb's compressor: xz (default, smallest) or gzip (much faster; tests use it)
#   BERTH_PUBLISH       how the binary is compiled: aot (default: Native AOT), r2r (ReadyToRun single file,
#                       what 0.1 shipped) or jit (single file, JIT only): the last two for comparison
#   BERTH_PIE=1         with aot: a position-independent executable (placed at a random address) with its
#                       runtime data compressed, as .NET builds by default; every command then starts ~45 ms
#                       slower (docs/install.md, "Hardening")
# Prints the path of the .deb as the last line on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

VERSION=${BERTH_VERSION:-$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props | head -n 1)}
[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "build-deb: version '$VERSION' is not x.y.z" >&2; exit 1; }
OUT=${BERTH_DEB_OUT:-$ROOT/artifacts}
ARCH=amd64
PACKAGE=berth
DEB=$OUT/${PACKAGE}_${VERSION}_${ARCH}.deb
PUBLISH=$OUT/publish-$VERSION

# Debian's packages for the tools the build runs, installed only when missing (as the other scripts
# do): strip (binutils) for libgit2, which a bare Debian 12 with only the .NET SDK lacks. dotnet is
# not a Debian package: it must be there already.
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
# Native AOT links the binary with the system's C compiler driver (gcc or clang) and links zlib statically.
declare -A package_for_tool=([dpkg-deb]=dpkg [gzip]=gzip [strip]=binutils [gcc]=gcc)
missing=()
for tool in "${!package_for_tool[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_for_tool[$tool]}")
done
# gcc only recommends the C library's development files, which the link needs (crt1.o, libc.so).
[ -e /usr/lib/x86_64-linux-gnu/crt1.o ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "build-deb: need root to install ${missing[*]} (or install them first)" >&2; exit 1; }
  echo "build-deb: installing ${missing[*]} from Debian" >&2
  apt_get update -qq >/dev/null
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null 2>&1 || { echo "build-deb: dotnet (the .NET 10 SDK) is required" >&2; exit 1; }
mkdir -p "$OUT"

# ---- Publish -------------------------------------------------------------------------------------
# Self-contained: hosts need no .NET runtime. One binary plus libgit2 beside it (a native library
# bundled into a single file is extracted to $HOME/.net at run time, which ProtectHome= forbids).
#
# Native AOT by default (issue #16): berth is compiled to machine code ahead of time, with only the code
# it reaches, and runs without a JIT. Measured against the ReadyToRun single file it replaces
# (docs/benchmarks.md, "Native AOT"): a no-op `berth plan` and the daemon's idle pass cost a fraction of
# the CPU, the daemon's RSS falls by half, the binary from 128 to about 30 MiB. What made it possible:
# every JSON berth writes is source-generated (the hashes' and the state file's bytes are pinned by
# tests against the reflection serializer they were written with), the HTTP endpoints use the request
# delegate generator, and both projects build with IsAotCompatible, so code AOT cannot compile fails
# `dotnet build`, not a host.
# BERTH_PUBLISH=r2r builds 0.1's ReadyToRun single file and BERTH_PUBLISH=jit the JIT-only one, to compare.
publish_mode=${BERTH_PUBLISH:-aot}
case $publish_mode in
  aot) publish_args=(-p:PublishAot=true -p:StripSymbols=true)
       if [ "${BERTH_PIE:-0}" = 1 ]; then publish_args+=(-p:PositionIndependentExecutable=true -p:IlcDehydrate=true); fi ;;
  r2r) publish_args=(-p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=false -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false) ;;
  jit) publish_args=(-p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=false -p:PublishReadyToRun=false) ;;
  *) echo "build-deb: BERTH_PUBLISH must be aot, r2r or jit, not '$publish_mode'" >&2; exit 1 ;;
esac
if [ "${BERTH_REUSE_PUBLISH:-0}" = 1 ] && [ -x "$PUBLISH/berth" ]; then
  echo "build-deb: reusing $PUBLISH" >&2
else
echo "build-deb: publishing berth $VERSION (self-contained linux-x64, $publish_mode)" >&2
rm -rf "$PUBLISH"
# A clean RID-specific build: incremental publishes reused outputs built with other switches or another
# version. Only the linux-x64 outputs are removed; `dotnet build`'s portable ones stay.
rm -rf src/*/obj/Release/net10.0/linux-x64 src/*/bin/Release/net10.0/linux-x64
start=$SECONDS
dotnet publish src/Daemon/Daemon.csproj -c Release -r linux-x64 --self-contained --nologo -v quiet \
  -p:VersionPrefix="$VERSION" -p:VersionSuffix= \
  "${publish_args[@]}" \
  -p:DebugType=none -p:GenerateDocumentationFile=false \
  -o "$PUBLISH" >&2
# The separated debug symbols (berth.dbg, ~85 MiB) are not shipped.
rm -f "$PUBLISH"/*.dbg "$PUBLISH"/*.pdb
echo "build-deb: publish took $((SECONDS - start)) s" >&2
fi

binary=$PUBLISH/berth
[ -x "$binary" ] || { echo "build-deb: $binary missing after publish" >&2; exit 1; }

# ---- Check the binary ----------------------------------------------------------------------
check_dir=$(mktemp -d)
staging=$(mktemp -d)
trap 'rm -rf "$check_dir" "$staging"' EXIT
actual_version=$("$binary" --version)
[[ $actual_version == "$VERSION"* ]] || { echo "build-deb: berth --version printed '$actual_version', expected $VERSION" >&2; exit 1; }
"$binary" --help | grep -q 'daemon' || { echo "build-deb: berth --help does not list 'daemon'" >&2; exit 1; }
# YAML: the desired-state loader (YamlDotNet) on the example repository, and the daemon's config
# loader on a file with an error (it must report it with a position, not crash).
"$binary" validate --repo examples/repo --host demo >"$check_dir/validate.out" 2>&1 \
  || { echo "build-deb: berth validate failed on examples/repo with the published binary:" >&2; cat "$check_dir/validate.out" >&2; exit 1; }
printf 'source:\n  url: [unclosed\n' >"$check_dir/bad.yaml"
if "$binary" daemon --config "$check_dir/bad.yaml" >"$check_dir/daemon.out" 2>&1; then
  echo "build-deb: berth daemon accepted a broken config" >&2; exit 1
fi
grep -q 'bad.yaml:[0-9]' "$check_dir/daemon.out" \
  || { echo "build-deb: berth daemon's config error has no file:line position:" >&2; cat "$check_dir/daemon.out" >&2; exit 1; }

# ---- Staging tree ----------------------------------------------------------------------------------
install -d -m 0755 "$staging/DEBIAN" "$staging/usr/bin" "$staging/usr/lib/berth" "$staging/lib/systemd/system" \
  "$staging/etc/berth" "$staging/usr/share/doc/berth" "$staging/usr/share/man/man1" "$staging/usr/share/lintian/overrides"
install -m 0755 "$binary" "$staging/usr/lib/berth/berth"
# Never strip berth itself: a single-file build (BERTH_PUBLISH=r2r|jit) appends the .NET bundle to the ELF
# file and strip would drop it; the Native AOT binary is stripped by the publish (StripSymbols).
# libgit2 comes unstripped from NuGet (a lintian error): strip its symbols, keep what linking needs.
for native in "$PUBLISH"/*.so; do
  [ -e "$native" ] || continue
  install -m 0644 "$native" "$staging/usr/lib/berth/"
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$staging/usr/lib/berth/$(basename "$native")"
done
ln -s ../lib/berth/berth "$staging/usr/bin/berth"
install -m 0644 packaging/systemd/berth.service "$staging/lib/systemd/system/berth.service"
install -m 0644 packaging/berth.yaml "$staging/etc/berth/berth.yaml"
install -m 0644 packaging/deb/copyright "$staging/usr/share/doc/berth/copyright"
install -m 0644 docs/install.md "$staging/usr/share/doc/berth/install.md"
sed "s/@VERSION@/$VERSION/" packaging/deb/changelog | gzip -9n >"$staging/usr/share/doc/berth/changelog.gz"
chmod 0644 "$staging/usr/share/doc/berth/changelog.gz"
# Two overrides of the binary belong to one kind of build each, and lintian warns about an unused one: the
# zlib one to the single-file builds (the runtime's zlib-ng inside the bundle; lintian finds no zlib in the
# Native AOT binary), the no-PIE one to the default Native AOT build (the single-file apphost is PIE, and so
# is BERTH_PIE=1's binary).
not_this_build=()
if [ "$publish_mode" = aot ]; then
  not_this_build+=(-e '^berth: embedded-library zlib \[usr/lib/berth/berth\]$')
fi
if [ "$publish_mode" != aot ] || [ "${BERTH_PIE:-0}" = 1 ]; then
  not_this_build+=(-e '^berth: hardening-no-pie \[usr/lib/berth/berth\]$')
fi
grep -v "${not_this_build[@]}" packaging/deb/lintian-overrides >"$check_dir/lintian-overrides"
install -m 0644 "$check_dir/lintian-overrides" "$staging/usr/share/lintian/overrides/berth"
sed "s/@VERSION@/$VERSION/" packaging/deb/berth.1 | gzip -9n >"$staging/usr/share/man/man1/berth.1.gz"
chmod 0644 "$staging/usr/share/man/man1/berth.1.gz"

for script in postinst prerm postrm; do
  install -m 0755 "packaging/deb/$script" "$staging/DEBIAN/$script"
done
echo /etc/berth/berth.yaml >"$staging/DEBIAN/conffiles"
(cd "$staging" && find . -type f ! -path './DEBIAN/*' ! -path './etc/berth/berth.yaml' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$staging/DEBIAN/conffiles" "$staging/DEBIAN/md5sums"

installed_size=$(du -sk --exclude=DEBIAN "$staging" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
  packaging/deb/control >"$staging/DEBIAN/control"
chmod 0644 "$staging/DEBIAN/control"

rm -f "$DEB"
compression=${BERTH_DEB_COMPRESSION:-xz}
start=$SECONDS
dpkg-deb --build --root-owner-group -Z"$compression" "$staging" "$DEB" >&2
echo "build-deb: dpkg-deb ($compression) took $((SECONDS - start)) s" >&2
echo "build-deb: built $DEB ($(du -h "$DEB" | cut -f1), installed $((installed_size / 1024)) MiB)" >&2

if [ "${BERTH_LINTIAN:-0}" = 1 ]; then
  if ! command -v lintian >/dev/null 2>&1; then
    echo "build-deb: installing lintian" >&2
    apt_get install -y -qq lintian >/dev/null 2>&1 || { apt_get update -qq >/dev/null && apt_get install -y -qq lintian >/dev/null; }
  fi
  # --fail-on error: warnings are reported, errors fail the build.
  lintian --fail-on error --display-info "$DEB" >&2
  echo "build-deb: lintian: no errors" >&2
fi

echo "$DEB"
