#!/usr/bin/env bash
# Refuses, saying why, unless this run's commit is the head of main right now.
#
#   run: bash delivery/head-of-main.sh          (env: GH_TOKEN: ${{ github.token }})
#
# A run of the apply workflow applies the commit it was started for (GITHUB_SHA). A re-run of an
# older run, or an approval that comes after newer merges, would apply an older commit and roll
# main's newer changes back. Only the head of main may be applied: the newer run (or a manual
# `gh workflow run apply`, which starts at the head) applies it. Called first, by a job without a
# concurrency group (so a refused re-run never takes a newer run's place in the apply queue), and
# again right before each apply.
# Reads the branch with GET /repos/{owner}/{repo}/git/ref/heads/{branch}
# (https://docs.github.com/en/rest/git/refs#get-a-reference).
# Writes refused=<reason> to $GITHUB_OUTPUT when it refuses.
set -euo pipefail
branch=${MAIN_BRANCH:-main}
api=${GITHUB_API_URL:-https://api.github.com}
out=${GITHUB_OUTPUT:-/dev/null}

refuse() {
  echo "refused=$1" >> "$out"
  echo "::error title=Not applied::$1"
  exit 1
}

if [ "${GITHUB_REF:-}" != "refs/heads/$branch" ]; then
  refuse "apply runs only for $branch; this run is for ${GITHUB_REF:-no ref}. Dispatch the apply workflow from $branch."
fi
head=$(curl --fail --silent --show-error --max-time 30 \
  -H "Authorization: Bearer ${GH_TOKEN:?GH_TOKEN is not set}" -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' \
  "$api/repos/${GITHUB_REPOSITORY:?}/git/ref/heads/$branch" | jq -r '.object.sha')
if [ -z "$head" ] || [ "$head" = null ]; then
  echo "::error::could not read the head of $branch"
  exit 1
fi
if [ "$GITHUB_SHA" != "$head" ]; then
  refuse "this run is for ${GITHUB_SHA:0:12}, but $branch is now at ${head:0:12}. Applying ${GITHUB_SHA:0:12} would roll back what was merged since; the run for ${head:0:12} applies it (or start one: gh workflow run apply)."
fi
echo "${GITHUB_SHA:0:12} is the head of $branch."
