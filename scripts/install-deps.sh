#!/usr/bin/env bash
# System packages the build and the tests need, on Debian/Ubuntu. Idempotent; installs only
# what is missing.
#
# - build: a C toolchain, make and perl (librdkafka and OpenSSL are built from source by
#   the rdkafka crate; no cmake, no system OpenSSL or zlib needed).
# - tests: promtool (package prometheus) to check /metrics, systemd-analyze (package systemd)
#   to verify systemd/slad.service, headless Chromium (package chromium) to render the what-if
#   page. All optional for the cargo tests: those that use them print a line saying they were
#   skipped when they are absent. scripts/test-monitoring.sh needs the prometheus server and
#   promtool, python3 and curl.
# - packaging: dpkg-dev (dpkg-shlibdeps, for cargo-deb's automatic Depends) and binutils
#   (strip); cargo-deb itself comes from crates.io (scripts/package-deb.sh).
set -euo pipefail

need=()
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
command -v make >/dev/null 2>&1 || need+=(make)
command -v perl >/dev/null 2>&1 || need+=(perl)
# OpenSSL's build uses a few core modules that a minimal perl-base lacks.
perl -MFindBin -MIPC::Cmd -e1 >/dev/null 2>&1 || need+=(perl)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v dpkg-shlibdeps >/dev/null 2>&1 || need+=(dpkg-dev)
command -v strip >/dev/null 2>&1 || need+=(binutils)

if [ "${#need[@]}" -eq 0 ]; then
  echo "install-deps: nothing to install"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${need[*]} and no apt-get here: install them by hand" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The build tools are required; the test tools are best effort.
for pkg in $(printf '%s\n' "${need[@]}" | sort -u); do
  case "$pkg" in
    prometheus|systemd|chromium)
      $sudo apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null \
        || echo "install-deps: $pkg not installed; the checks that use it will be skipped" ;;
    *)
      $sudo apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null ;;
  esac
done
