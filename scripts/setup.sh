#!/usr/bin/env bash
# Installs the system libraries Lethe links against, when they are missing (Debian/Ubuntu).
# Used by both quick-start commands of the README and by CI.
set -euo pipefail

packages=(libopenblas-dev libzstd-dev libsqlite3-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "Installing ${missing[*]} ..." >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
