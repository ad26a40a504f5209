#!/usr/bin/env bash
# Replaces the text between <!-- section:NAME --> and <!-- /section:NAME --> in README.md with
# the content of FILE. Serialized with flock so several writers never clobber each other.
# usage: bash test-support/readme-section.sh NAME FILE
set -euo pipefail
name=$1; file=$2
cd "$(dirname "$0")/.."
exec 9>/tmp/readme.lock
flock 9
node -e '
const fs = require("fs");
const [name, file] = process.argv.slice(1);
const readme = fs.readFileSync("README.md", "utf8");
const open = `<!-- section:${name} -->`, close = `<!-- /section:${name} -->`;
const a = readme.indexOf(open), b = readme.indexOf(close);
if (a < 0 || b < a) { console.error(`README.md has no section ${name}`); process.exit(1); }
const body = fs.readFileSync(file, "utf8").trim();
fs.writeFileSync("README.md", readme.slice(0, a + open.length) + "\n" + body + "\n" + readme.slice(b));
' "$name" "$file"
