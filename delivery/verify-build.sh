#!/usr/bin/env bash
# The digest of a build handed from a job without credentials to a job with them, and its check.
#
#   bash delivery/verify-build.sh digest PATH...            prints the build's sha256
#   bash delivery/verify-build.sh verify EXPECTED PATH...   refuses unless the build has that digest
#
# The digest is the sha256 of the manifest `sha256sum` writes for every file under PATH..., in
# byte order of their paths (relative to the working directory), so a file added, removed, renamed
# or changed changes it. The job that builds (npm ci --ignore-scripts, synth, bundles) prints it
# into a job output; the credentialed job reads it through needs.<job>.outputs, which only the
# building job can set, downloads the artifact and runs this check before it runs anything of it.
# Symbolic links are refused: what a link points to is not in the artifact.
# Needs only bash and coreutils.
set -euo pipefail

usage() {
  echo "usage: verify-build.sh digest PATH... | verify EXPECTED_SHA256 PATH..." >&2
  exit 2
}

manifest() {
  local path
  for path in "$@"; do
    if [ ! -e "$path" ]; then
      echo "Refused: $path is missing from the build; nothing was run. Re-run the workflow from the job that builds." >&2
      return 1
    fi
  done
  local links
  links=$(find "$@" -type l)
  if [ -n "$links" ]; then
    echo "Refused: the build holds symbolic links, which point outside it: $links" >&2
    return 1
  fi
  find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
}

digest_of() {
  local listing
  listing=$(manifest "$@") || return 1
  if [ -z "$listing" ]; then
    echo "Refused: no file under $*; nothing was built" >&2
    return 1
  fi
  printf '%s\n' "$listing" | sha256sum | cut -d' ' -f1
}

[ $# -ge 2 ] || usage
command=$1
shift
case "$command" in
  digest)
    digest_of "$@"
    ;;
  verify)
    expected=$1
    shift
    [ $# -ge 1 ] || usage
    if ! [[ "$expected" =~ ^[0-9a-f]{64}$ ]]; then
      echo "Refused: the expected digest '$expected' is not a sha256; the job that builds did not report one (needs.<job>.outputs). Nothing was run." >&2
      exit 1
    fi
    actual=$(digest_of "$@")
    if [ "$actual" != "$expected" ]; then
      echo "Refused: the build in $* has digest $actual, but the job that built it reported $expected." >&2
      echo "It changed between that job and this one; nothing of it was run with credentials. Re-run the workflow; if it happens again, treat it as tampering. What this job received:" >&2
      manifest "$@" >&2
      exit 1
    fi
    echo "Build verified: $* has the digest its job reported, $actual."
    ;;
  *)
    usage
    ;;
esac
