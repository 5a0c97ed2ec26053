#!/usr/bin/env bash
# Installs Node 22 from the npm registry (package node-linux-<arch>, an exact
# version) into .tools/node22, once, and prints the path of its node binary.
# jsii, the CDK's Go bindings, runs on it: the machine's Node 20 is
# end-of-life. Idempotent, and safe when make test and make synth start it
# at the same time. Use:  export JSII_NODE="$(.ci/install-node22.sh)"
set -euo pipefail
version=22.23.3
cd "$(dirname "$0")/.."
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-node22: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
dir=.tools/node22
node="$PWD/$dir/node_modules/node-linux-$arch/bin/node"
installed() { [ -x "$node" ] && [ "$("$node" --version 2>/dev/null)" = "v$version" ]; }
if ! installed; then
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  if command -v flock >/dev/null; then flock 9; fi
  if ! installed; then # another run may have installed it while we waited
    echo "install-node22: installing node-linux-$arch@$version into $dir (about 0.2 GB, once)" >&2
    npm install --silent --no-audit --no-fund --save-exact --prefix "$dir" "node-linux-$arch@$version" >&2
  fi
  installed || { echo "install-node22: $node is not Node $version after npm install" >&2; exit 1; }
fi
echo "$node"
