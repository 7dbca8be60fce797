#!/usr/bin/env bash
# Builds target/debian/slad_<version>_<arch>.deb with cargo-deb ([package.metadata.deb] in
# Cargo.toml): /usr/bin/slad, the systemd unit, /etc/slad/slad.toml (a conffile), the docs in
# /usr/share/doc/slad/ and the monitoring kit in /usr/share/slad/monitoring/.
#
# Usage: scripts/package-deb.sh [--no-build]
#   --no-build  package the existing target/release/slad (as scripts/test.sh does after the
#               cargo tests built it) instead of building it again
# Prints the path of the .deb on its last line. Installs cargo-deb from crates.io if missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# A pinned version, so that a new release cannot change the package under a green build.
cargo_deb_version="${CARGO_DEB_VERSION:-3.8.0}"
if ! cargo deb --version 2>/dev/null | grep -qx "cargo-deb $cargo_deb_version"; then
  echo "package-deb: installing cargo-deb $cargo_deb_version" >&2
  cargo install cargo-deb --version "$cargo_deb_version" --locked --quiet
fi

# The unit of systemd/ runs /usr/local/bin/slad (an install by hand); the package's binary is
# /usr/bin/slad.
mkdir -p target/debian-unit
sed -e 's|/usr/local/bin/slad|/usr/bin/slad|g' \
    -e 's|^# Install: the binary in /usr/local/bin/slad, the configuration in /etc/slad/slad.toml, then|# Installed by the slad package. Edit /etc/slad/slad.toml (kafka.brokers, ...), then|' \
    systemd/slad.service > target/debian-unit/slad.service
if grep -q /usr/local target/debian-unit/slad.service; then
  echo "package-deb: the packaged unit still names /usr/local" >&2
  exit 1
fi

build=()
if [ "${1:-}" = "--no-build" ]; then
  build=(--no-build)
  [ -x target/release/slad ] || { echo "package-deb: --no-build and no target/release/slad" >&2; exit 1; }
fi
cargo deb --locked "${build[@]}" --strip --quiet --output target/debian/ >&2
deb=$(ls -t target/debian/slad_*.deb | head -1)
echo "$deb"
