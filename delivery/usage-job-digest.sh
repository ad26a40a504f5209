#!/usr/bin/env bash
# The usage-job bundle an environment runs is the one its apply deployed.
#
#   bash delivery/usage-job-digest.sh record ENVIRONMENT SHA256          (apply: after ENVIRONMENT is at this commit)
#   bash delivery/usage-job-digest.sh deployed ENVIRONMENT               (usage: which commit ENVIRONMENT is at)
#   bash delivery/usage-job-digest.sh check ENVIRONMENT SHA256 [COMMIT]  (usage: before node runs the bundle)
#   bash delivery/usage-job-digest.sh changed ENVIRONMENT SHA256         (apply: does this bundle need the approval gate?)
#
# record: the apply workflow, once ENVIRONMENT is at GITHUB_SHA (applied, or its plan had nothing to
# apply), sets the commit status `usage-job/ENVIRONMENT` of GITHUB_SHA with the digest of the
# usage-job bundle it built from that commit (POST /repos/{owner}/{repo}/statuses/{sha}; needs
# `statuses: write`, https://docs.github.com/en/rest/commits/statuses#create-a-commit-status).
# deployed: prints the newest commit of MAIN_BRANCH (default main) that carries a `usage-job/ENVIRONMENT`
# status, among its newest 100 commits (GET .../commits?sha=BRANCH lists the newest first,
# https://docs.github.com/en/rest/commits/commits#list-commits): the commit the environment's last
# apply reached. Applies only ever apply the head of main, in order, so the newest recorded commit
# is the deployed one; a merge waiting for prod's approval has no prod status yet, so prod keeps
# running the commit it deployed. None within 100 commits: refused, exit 1. The search stops there
# because each commit costs one statuses call, and a GITHUB_TOKEN may make 1,000 REST calls an hour
# per repository (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api);
# an environment 100 merges behind refuses loudly until its next apply (docs/delivery.md).
# check: the usage workflow, which builds the bundle from that commit (COMMIT, default GITHUB_SHA)
# without credentials, refuses unless the newest status `usage-job/ENVIRONMENT` of COMMIT carries
# that digest (GET .../commits/{sha}/statuses lists the newest first; `statuses: read`).
# changed: prints `changed=true|false` and `deployed=COMMIT|none` (lines for GITHUB_OUTPUT): false
# only when the commit ENVIRONMENT is at (as `deployed` finds it) recorded exactly SHA256, so the apply
# may record the same bundle on this commit without approval. No deployed commit: true. A failed
# call: exit non-zero, never a guess.
# Env: GH_TOKEN, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_API_URL (default https://api.github.com), MAIN_BRANCH.
set -euo pipefail
# Command substitutions stop on a failed call too (deployed_commit), never read as "no status".
shopt -s inherit_errexit

usage() {
  echo "usage: usage-job-digest.sh record ENVIRONMENT SHA256 | check ENVIRONMENT SHA256 [COMMIT] | deployed ENVIRONMENT | changed ENVIRONMENT SHA256" >&2
  exit 2
}
[ $# -ge 2 ] || usage
command=$1
environment=$2
api=${GITHUB_API_URL:-https://api.github.com}
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
context="usage-job/$environment"

github() {
  curl --fail --silent --show-error --max-time 30 \
    -H "Authorization: Bearer ${GH_TOKEN:?GH_TOKEN is not set}" -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' "$@"
}

# The newest success status of CONTEXT on a commit, or nothing.
recorded_digest() {
  github "$api/repos/$repo/commits/$1/statuses?per_page=100" |
    jq -r --arg context "$context" '[.[] | select(.context == $context and .state == "success")][0].description // ""'
}

# The newest commit of the main branch with a usage-job status for the environment, or nothing.
# Assignments, so that a failed call stops the script (set -e) instead of reading as "no status",
# which would pick an older commit.
deployed_commit() {
  local commits commit found
  commits=$(github "$api/repos/$repo/commits?sha=${MAIN_BRANCH:-main}&per_page=100" | jq -r '.[].sha')
  for commit in $commits; do
    found=$(recorded_digest "$commit")
    if [ -n "$found" ]; then
      echo "$commit"
      return 0
    fi
  done
}

if [ "$command" = deployed ]; then
  [ $# -eq 2 ] || usage
  commit=$(deployed_commit)
  if [ -z "$commit" ]; then
    echo "Refused: none of the newest 100 commits of ${MAIN_BRANCH:-main} has a usage-job bundle recorded for $environment (commit status $context): no apply has reached $environment yet, or its last one is more than 100 merges back. The usage job runs only what an apply deployed; approve (or start) an apply of the head of main (docs/delivery.md)." >&2
    exit 1
  fi
  echo "$commit"
  exit 0
fi

[ $# -eq 3 ] || { [ $# -eq 4 ] && [ "$command" = check ]; } || usage
digest=$3
if [ "$command" = changed ]; then
  if ! [[ "$digest" =~ ^[0-9a-f]{64}$ ]]; then
    echo "Refused: '$digest' is not the sha256 of a usage-job bundle; the build job did not report one (needs.build.outputs.usage-job-digest)." >&2
    exit 1
  fi
  commit=$(deployed_commit)
  running=''
  if [ -n "$commit" ]; then
    running=$(recorded_digest "$commit")
  fi
  if [ "${running#sha256:}" = "$digest" ]; then echo 'changed=false'; else echo 'changed=true'; fi
  echo "deployed=${commit:-none}"
  exit 0
fi
sha=${4:-${GITHUB_SHA:?GITHUB_SHA is not set}}
if ! [[ "$sha" =~ ^[0-9a-f]{40}$ ]]; then
  echo "Refused: '$sha' is not a commit sha." >&2
  exit 1
fi

if ! [[ "$digest" =~ ^[0-9a-f]{64}$ ]]; then
  echo "Refused: '$digest' is not the sha256 of a usage-job bundle; the job that builds did not report one (needs.<job>.outputs.usage-job-digest)." >&2
  exit 1
fi

case "$command" in
  record)
    body=$(jq -n --arg context "$context" --arg digest "$digest" \
      '{state: "success", context: $context, description: ("sha256:" + $digest)}')
    github -X POST "$api/repos/$repo/statuses/$sha" -d "$body" > /dev/null
    echo "Recorded for $environment: commit ${sha:0:12} runs the usage-job bundle sha256:$digest."
    ;;
  check)
    recorded=$(recorded_digest "$sha")
    recorded=${recorded#sha256:}
    if [ -z "$recorded" ]; then
      echo "Refused: no apply has recorded a usage-job bundle for $environment at commit ${sha:0:12} (commit status $context): its apply to $environment has not finished (prod waits for approval) or failed. The usage job runs only the bundle an apply recorded; it runs again on the next schedule." >&2
      exit 1
    fi
    if [ "$recorded" != "$digest" ]; then
      echo "Refused: the usage-job bundle built for $environment has sha256:$digest, but the apply of commit ${sha:0:12} recorded sha256:$recorded. The bundle is not the one deployed; nothing was run. Re-run the workflow; if it happens again, treat it as tampering." >&2
      exit 1
    fi
    echo "Usage-job bundle sha256:$digest is the one the apply recorded for $environment."
    ;;
  *)
    usage
    ;;
esac
