#!/usr/bin/env bash
# The Debian package as an operator gets it: built by scripts/package-deb.sh (from the existing
# target/release/slad with --no-build), listed, extracted with dpkg-deb -x; the packaged
# binary validates the packaged configuration, the packaged unit passes systemd-analyze verify
# and names only files the package (or the base system) provides.
#
# Usage: scripts/test-package.sh [--no-build]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

deb=$(bash scripts/package-deb.sh "$@" | tail -1)
echo "test-package: $deb ($(du -h "$deb" | cut -f1))"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
fail() { echo "test-package: $*" >&2; exit 1; }

listing=$(dpkg-deb --contents "$deb" | awk '{print $NF}' | sed 's|^\./|/|')
for path in /usr/bin/slad /etc/slad/slad.toml /usr/lib/systemd/system/slad.service \
  /usr/share/doc/slad/README.md /usr/share/doc/slad/daemon.md /usr/share/doc/slad/operations.md \
  /usr/share/doc/slad/copyright /usr/share/slad/monitoring/slad.rules.yml \
  /usr/share/slad/monitoring/slad.test.yml /usr/share/slad/monitoring/slad-dashboard.json; do
  grep -qx "$path" <<< "$listing" || fail "$path is not in the package"
done

dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$root/DEBIAN"
grep -qx /etc/slad/slad.toml "$root/DEBIAN/conffiles" || fail "/etc/slad/slad.toml is not a conffile"
[ "$(dpkg-deb --field "$deb" Package)" = slad ] || fail "the package is not named slad"

"$root/usr/bin/slad" check-config "$root/etc/slad/slad.toml"

# The unit's commands and documentation are the package's (or the base system's) files.
unit="$root/usr/lib/systemd/system/slad.service"
if grep -q /usr/local "$unit"; then fail "the packaged unit names /usr/local: $(grep /usr/local "$unit")"; fi
for command in $(sed -n 's/^Exec[A-Za-z]*=[-@+!:]*\([^ ]*\).*/\1/p' "$unit" | sort -u); do
  [ -x "$root$command" ] || [ -x "$command" ] || fail "the unit runs $command, which nothing provides"
done
doc=$(sed -n 's|^Documentation=file://||p' "$unit")
[ -f "$root$doc" ] || fail "the unit's Documentation=file://$doc is not in the package"

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify checks that the commands exist on this machine: point them at the extracted binary.
  mkdir "$root/verify"
  sed "s|/usr/bin/slad|$root/usr/bin/slad|g" "$unit" > "$root/verify/slad.service"
  stderr=$(systemd-analyze verify "$root/verify/slad.service" 2>&1 >/dev/null) || fail "systemd-analyze verify: $stderr"
  [ -z "$stderr" ] || fail "systemd-analyze verify: $stderr"
else
  echo "skipped: systemd-analyze not installed (scripts/install-deps.sh installs the systemd package)" >&2
fi
echo "test-package: ok: contents, conffile, check-config of the packaged configuration, the packaged unit verified"
