#!/usr/bin/env bash
# Rebuild the browser modeler bundles committed under webapp/static/vendor/modeler/.
# Needs node 20 and npm (the app, its tests and CI do not). Usage: frontend/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../webapp/static/vendor/modeler"
cd "$here"
npm ci --no-audit --no-fund
mkdir -p src/generated
# bpmnlint's recommended rules, compiled into a module the browser bundle can import
node -e '
const compile = require("bpmnlint/lib/support/compile-config");
compile({ extends: "bpmnlint:recommended" }).then((code) => require("fs").writeFileSync("src/generated/bpmnlint-config.js", code));
'
rm -rf "$out" && mkdir -p "$out/licenses"
npx esbuild src/workbench.js src/diff.js src/diagram-view.js src/reports.js src/workbench.css src/diff.css src/diagram-view.css \
  --bundle --minify --format=esm --splitting --target=es2020 --outdir="$out" \
  --loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
  --asset-names='assets/[name]-[hash]' --chunk-names='chunks/[name]-[hash]' --legal-comments=none --metafile=src/generated/meta.json
# the licence of every package whose code is in the bundles (esbuild's metafile says which)
node licenses.js "$out"
du -sh "$out"
