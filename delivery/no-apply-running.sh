#!/usr/bin/env bash
# Refuses, saying which run, while a job `apply <env>` of the apply workflow is running.
#
#   run: bash delivery/no-apply-running.sh "$ENVIRONMENT"      (env: GH_TOKEN: ${{ github.token }}; actions: read)
#
# The unlock workflow runs it right before it releases a lock. The unlock job has a concurrency
# group of its own: in the apply queue (apply-<env>) a pending unlock would replace a pending apply,
# or be replaced by the next merge (GitHub keeps one pending job per group), and it would wait
# behind a prod run waiting for approval. Instead it checks that no apply of the environment is
# running terraform now. A job that is only pending or waiting for approval runs no terraform; if
# it starts right after this check, it takes a lock of its own, with another ID, which the unlock's
# guard never releases (delivery/state-lock.ts decideGuardedUnlock).
# Endpoints (https://docs.github.com/en/rest/actions/workflow-runs, .../workflow-jobs):
#   GET /repos/{owner}/{repo}/actions/workflows/apply.yml/runs?status=in_progress
#   GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs
set -euo pipefail
environment=${1:?usage: no-apply-running.sh ENVIRONMENT}
api=${GITHUB_API_URL:-https://api.github.com}
repo=${GITHUB_REPOSITORY:?GITHUB_REPOSITORY is not set}

get() {
  curl --fail --silent --show-error --max-time 30 \
    -H "Authorization: Bearer ${GH_TOKEN:?GH_TOKEN is not set}" -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' \
    "$api/repos/$repo/$1"
}

runs=$(get "actions/workflows/apply.yml/runs?status=in_progress&per_page=100" | jq -r '.workflow_runs[].id')
for run in $runs; do
  busy=$(get "actions/runs/$run/jobs?per_page=100" | jq -r --arg name "apply $environment" '.jobs[] | select(.name == $name and .status == "in_progress") | .html_url')
  if [ -n "$busy" ]; then
    echo "::error title=Not unlocked::apply $environment is running ($busy); its terraform may hold the lock. Wait for it to finish (a cancelled apply usually releases its own lock), then run unlock again if the lock is still held."
    exit 1
  fi
done
echo "No job apply $environment is running."
