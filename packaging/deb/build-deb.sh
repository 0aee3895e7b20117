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
#   BERTH_R2R=0         publish without ReadyToRun (JIT only; smaller, slower to start): for comparison
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
declare -A package_for_tool=([dpkg-deb]=dpkg [gzip]=gzip [strip]=binutils)
missing=()
for tool in "${!package_for_tool[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${package_for_tool[$tool]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "build-deb: need root to install ${missing[*]} (or install them first)" >&2; exit 1; }
  echo "build-deb: installing ${missing[*]} from Debian" >&2
  apt_get update -qq >/dev/null
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null 2>&1 || { echo "build-deb: dotnet (the .NET 10 SDK) is required" >&2; exit 1; }
mkdir -p "$OUT"

# ---- Publish -------------------------------------------------------------------------------------
# Self-contained: hosts need no .NET runtime. Single file: one binary plus libgit2 (native libraries
# are not bundled: bundled ones are extracted to $HOME/.net at run time, which ProtectHome= forbids).
#
# NOT trimmed by default (about 80 MB instead of 24 MB; xz makes the .deb much smaller). Measured
# with TrimMode=partial: `berth validate` on examples/repo failed twice, each time in the spec's
# config hash (ConfigHasher serialises with System.Text.Json's reflection serializer): first because
# trimming switches that serializer off (JsonSerializerIsReflectionEnabledByDefault), then, with it
# switched back on, because the trimmer had removed ImmutableSortedDictionary's CreateRange that the
# serializer finds by reflection. Each fix would only move the failure to the next reflected-on
# member, on code paths (Docker.DotNet's models, the daemon's pass) no check here reaches, and a
# config hash that differs from the untrimmed build's would recreate containers. Since ConfigHasher
# uses source-generated JSON (issue #16) the trimmed build passes these checks, and `berth plan` fails
# next, in DesiredStateRevision's reflection-based JSON (docs/benchmarks.md, "Startup and memory").
# BERTH_TRIM=1 builds the trimmed variant for that evaluation; the checks below run on whichever
# binary is packaged.
trim_args=()
trim_note="untrimmed"
if [ "${BERTH_TRIM:-0}" = 1 ]; then
  trim_args=(-p:PublishTrimmed=true -p:TrimMode=partial -p:JsonSerializerIsReflectionEnabledByDefault=true -p:SuppressTrimAnalysisWarnings=true)
  trim_note="TrimMode=partial"
fi
# ReadyToRun (issue #16): berth's own assemblies and its NuGet dependencies are compiled ahead of
# time by crossgen2, so a CLI run JITs little (the shared framework in the runtime pack is ReadyToRun
# already). Measured on a no-op `berth plan`: about 1/3 less CPU, the same RSS, a larger binary
# (docs/benchmarks.md, "Startup and memory"). Not composite: a composite image recompiles the whole
# framework with the app (it ran over 10 minutes here before it was stopped; a larger file). BERTH_R2R=0 builds
# without it (JIT only), for comparison.
r2r_args=(-p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false)
r2r_note="ReadyToRun"
if [ "${BERTH_R2R:-1}" = 0 ]; then
  r2r_args=(-p:PublishReadyToRun=false)
  r2r_note="JIT only"
fi
if [ "${BERTH_REUSE_PUBLISH:-0}" = 1 ] && [ -x "$PUBLISH/berth" ]; then
  echo "build-deb: reusing $PUBLISH" >&2
else
echo "build-deb: publishing berth $VERSION (self-contained linux-x64, single file, $trim_note, $r2r_note)" >&2
rm -rf "$PUBLISH"
# A clean RID-specific build: incremental publishes reused a bundle built with other trimming
# switches or another version. Only the linux-x64 outputs are removed; `dotnet build`'s portable ones stay.
rm -rf src/*/obj/Release/net10.0/linux-x64 src/*/bin/Release/net10.0/linux-x64
start=$SECONDS
dotnet publish src/Daemon/Daemon.csproj -c Release -r linux-x64 --self-contained --nologo -v quiet \
  -p:VersionPrefix="$VERSION" -p:VersionSuffix= \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=false \
  "${trim_args[@]}" "${r2r_args[@]}" \
  -p:DebugType=none -p:GenerateDocumentationFile=false \
  -o "$PUBLISH" >&2
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
# Never strip berth itself: the .NET bundle is appended to the ELF file and strip would drop it.
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
install -m 0644 packaging/deb/lintian-overrides "$staging/usr/share/lintian/overrides/berth"
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
