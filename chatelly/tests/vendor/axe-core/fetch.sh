#!/bin/sh
# Re-fetch the vendored axe-core (accessibility checks for the dashboard's
# browser tests; never served to users) and check it against the pinned hash.
# Usage: sh chatelly/tests/vendor/axe-core/fetch.sh   (needs curl, tar, sha256sum)
set -eu
VERSION=4.14.1
SHA256_AXE=29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsSL "https://registry.npmjs.org/axe-core/-/axe-core-$VERSION.tgz" -o "$tmp/axe.tgz"
tar -xzf "$tmp/axe.tgz" -C "$tmp" package/axe.min.js package/LICENSE
echo "$SHA256_AXE  $tmp/package/axe.min.js" | sha256sum -c -
cp "$tmp/package/axe.min.js" "$here/axe.min.js"
cp "$tmp/package/LICENSE" "$here/LICENSE"
echo "axe-core $VERSION vendored in $here"
