#!/usr/bin/env bash
# Rebuilds dist/ from the npm packages pinned in package-lock.json: the
# production UMD builds of React, GraphiQL and graphql-ws that hindsight embeds
# (src/graphql/graphiql.rs) and serves at /graphiql/. To upgrade: change the
# versions in package.json, `npm install --package-lock-only`, run this, and
# commit package.json, package-lock.json and dist/.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
m="$work/node_modules"
mkdir -p dist
cp "$m/react/umd/react.production.min.js" dist/react.production.min.js
cp "$m/react-dom/umd/react-dom.production.min.js" dist/react-dom.production.min.js
cp "$m/graphql-ws/umd/graphql-ws.min.js" dist/graphql-ws.min.js
cp "$m/graphiql/graphiql.min.css" dist/graphiql.min.css
# The source map it names is not shipped: drop the comment that points at it.
sed 's|//# sourceMappingURL=[^ ]*$||' "$m/graphiql/graphiql.min.js" > dist/graphiql.min.js
for p in react react-dom graphql-ws graphiql; do
  printf '%s %s\n' "$p" "$(node -p "require('$m/$p/package.json').version")"
done > dist/VERSIONS
cat dist/VERSIONS
