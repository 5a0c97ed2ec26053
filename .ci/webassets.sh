#!/usr/bin/env bash
# Copies the npm files listed in shared/webassets/assets.txt into
# shared/webassets/dist (git-ignored; Go embeds it). Run by `make assets`
# after `npm ci`: a missing file fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=shared/webassets/dist
find "$dist" -mindepth 1 ! -name README.md -delete
[[ "${1:-}" == --clean ]] && exit 0
while read -r src dest; do
  case "$src" in ''|'#'*) continue ;; esac
  mkdir -p "$dist/$(dirname "$dest")"
  cp "node_modules/$src" "$dist/$dest"
done < shared/webassets/assets.txt
touch "$dist/.built"
