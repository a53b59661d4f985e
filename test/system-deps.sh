#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real when they are missing, so that
# `npm ci && npm test` passes on a machine with only Node and npm. One list, read by `npm test`
# and .ci/run alike. Without root (and no sudo) it names what is missing and goes on; the tests
# that need a missing program then fail saying which package to install.
set -euo pipefail

# command=package: the program a test runs, and the Debian package that brings it.
NEEDED=(
  shellcheck=shellcheck
  chromium=chromium
  tinyproxy=tinyproxy
  squid=squid
  nginx=nginx
  openssl=openssl
  setfacl=acl
)

missing=()
for pair in "${NEEDED[@]}"; do
  command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "test: missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 0
fi

echo "test: installing ${missing[*]} from Debian (first run on this machine)" >&2
export DEBIAN_FRONTEND=noninteractive
# A stale or empty package list finds nothing: update once, then install.
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
