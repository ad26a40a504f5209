#!/usr/bin/env bash
# The usage-job bundle an environment runs is the one its apply deployed.
#
#   bash delivery/usage-job-digest.sh record ENVIRONMENT SHA256   (apply: after ENVIRONMENT is at this commit)
#   bash delivery/usage-job-digest.sh check ENVIRONMENT SHA256    (usage: before node runs the bundle)
#
# record: the apply workflow, once ENVIRONMENT is at GITHUB_SHA (applied, or its plan had nothing to
# apply), sets the commit status `usage-job/ENVIRONMENT` of GITHUB_SHA with the digest of the
# usage-job bundle it built from that commit (POST /repos/{owner}/{repo}/statuses/{sha}; needs
# `statuses: write`, https://docs.github.com/en/rest/commits/statuses#create-a-commit-status).
# check: the usage workflow, which builds the bundle from the same commit without credentials,
# refuses unless the newest status `usage-job/ENVIRONMENT` of GITHUB_SHA carries that digest
# (GET .../commits/{sha}/statuses lists the newest first; `statuses: read`). A commit whose apply
# has not reached the environment yet (prod waiting for approval, a failed apply) has no status:
# the run refuses, and the next run after the apply goes on.
# Env: GH_TOKEN, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_API_URL (default https://api.github.com).
set -euo pipefail

usage() {
  echo "usage: usage-job-digest.sh record|check ENVIRONMENT SHA256" >&2
  exit 2
}
[ $# -eq 3 ] || usage
command=$1
environment=$2
digest=$3
api=${GITHUB_API_URL:-https://api.github.com}
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}
sha=${GITHUB_SHA:?GITHUB_SHA is not set}
context="usage-job/$environment"

if ! [[ "$digest" =~ ^[0-9a-f]{64}$ ]]; then
  echo "Refused: '$digest' is not the sha256 of a usage-job bundle; the job that builds did not report one (needs.<job>.outputs.usage-job-digest)." >&2
  exit 1
fi

github() {
  curl --fail --silent --show-error --max-time 30 \
    -H "Authorization: Bearer ${GH_TOKEN:?GH_TOKEN is not set}" -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' "$@"
}

case "$command" in
  record)
    body=$(jq -n --arg context "$context" --arg digest "$digest" \
      '{state: "success", context: $context, description: ("sha256:" + $digest)}')
    github -X POST "$api/repos/$repo/statuses/$sha" -d "$body" > /dev/null
    echo "Recorded for $environment: commit ${sha:0:12} runs the usage-job bundle sha256:$digest."
    ;;
  check)
    recorded=$(github "$api/repos/$repo/commits/$sha/statuses?per_page=100" |
      jq -r --arg context "$context" '[.[] | select(.context == $context and .state == "success")][0].description // ""')
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
