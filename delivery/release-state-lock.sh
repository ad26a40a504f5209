#!/usr/bin/env bash
# After a cancelled or failed apply step: wait for the job's terraform to stop, then release the
# state lock only if this job left it behind.
#
#   - name: Release the state lock if this job left it
#     if: cancelled() || failure()
#     env: { STACK_DIR: ..., STATE_BUCKET: ..., ENVIRONMENT: <env> }
#     run: exec bash delivery/release-state-lock.sh "$STACK_DIR" "$STATE_BUCKET"
#
# delivery/terraform-apply.sh forwarded one interrupt to terraform and left it running, writing to
# its log file; a graceful stop releases the lock itself. This step first says which lock terraform
# holds and the command that releases it, so the instruction is in the log even if GitHub stops the
# job before this step ends; then it prints terraform's log while terraform finishes (the runner
# kills the job's leftover processes when the job ends), then asks the lock tool whether a lock is
# still held by this runner (`<user>@<hostname>`, Terraform's lock "Who") with no terraform left,
# and only then runs `terraform force-unlock`. A lock of anyone else is never touched here; the
# unlock workflow handles those, guarded.
#
# How long it waits: GitHub force-stops a cancelled (or timed-out) job 5 minutes after the
# cancellation, whatever its `if: cancelled()` steps are doing ("After the 5 minute cancellation
# timeout period, the server will forcibly terminate all jobs and steps that are still running",
# https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-cancellation;
# actions/runner#464 asks for a longer one). Within those 300 s: up to 10 s for the apply step to
# exit (SIGINT, 7.5 s, SIGTERM, 2.5 s), about 5 s here to read the lock, the wait, about 10 s to
# decide and force-unlock, and runner and network latency. A 210 s wait leaves about a minute of
# margin. A graceful stop that takes longer (an in-flight CloudFront update can take 15 minutes)
# is cut off by GitHub: the lock then stays, and the command printed first releases it.
#
# Terraform's log goes through the same masker as in the apply step (plan-mask --lines, with the
# secrets of the plan that terraform-apply.sh left in TERRAFORM_APPLY_SECRETS); without them it is
# withheld, never printed raw.
#
# ENVIRONMENT: the environment, for the unlock command printed (optional).
# DELIVERY_TOOLS: the verified delivery-tools bundle (default .gen/build/delivery-tools.cjs, where
#   ./.github/actions/use-build puts it); the apply job runs no npm.
# TERRAFORM_STOP_WAIT_SECONDS (tests): how long to wait for terraform (default 210).
# LOCK_FILE (tests): read the lock from this file instead of the stack's S3 backend.
set -uo pipefail
stack_dir=${1:?usage: release-state-lock.sh STACK_DIR [STATE_BUCKET]}
bucket=${2:-}
pidfile=${TERRAFORM_PIDFILE:-${RUNNER_TEMP:-/tmp}/terraform-apply.pid}
log=${TERRAFORM_APPLY_LOG:-${RUNNER_TEMP:-/tmp}/terraform-apply.log}
secrets=${TERRAFORM_APPLY_SECRETS:-${RUNNER_TEMP:-/tmp}/terraform-apply-secrets.json}
wait_seconds=${TERRAFORM_STOP_WAIT_SECONDS:-210}
environment=${ENVIRONMENT:-<environment>}
tools=${DELIVERY_TOOLS:-.gen/build/delivery-tools.cjs}

source_args=(--stack-dir "$stack_dir")
if [ -n "${LOCK_FILE:-}" ]; then source_args=(--lock-file "$LOCK_FILE"); elif [ -n "$bucket" ]; then source_args+=(--bucket "$bucket"); fi
holder="$(id -un)@$(hostname)"

pid=
if [ -f "$pidfile" ]; then pid=$(cat "$pidfile"); fi
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
  held=$(node "$tools" lock show "${source_args[@]}" 2>/dev/null) || held=
  held_id=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' <<< "$held")
  if [ -n "$held_id" ] && [[ "$held" == *"\"who\":\"$holder\""* ]]; then
    echo "::notice::terraform (pid $pid) holds state lock $held_id and is stopping. If this job is stopped before it says the lock is released, release it once the job has ended with: gh workflow run unlock -f environment=$environment -f lock-id=$held_id (add -f min-age-minutes=0 if the lock is younger than 15 minutes)"
  else
    echo "::notice::terraform (pid $pid) is stopping. If this job is stopped before it says the lock is released, find the lock ID in the next plan's \"Error acquiring the state lock\" and, once the job has ended, run: gh workflow run unlock -f environment=$environment -f lock-id=<ID>"
  fi
fi

# tail into the masker through a FIFO, so that both pids are known and can be killed.
followers=()
fifo="$log.release.fifo"
trap 'rm -f "$fifo"' EXIT
if [ -n "$pid" ] && [ -f "$log" ] && [ -f "$secrets" ]; then
  echo "terraform's output, from the start (the apply step's log ends at the cancel):"
  rm -f "$fifo"
  mkfifo -m 600 "$fifo"
  node "$tools" plan-mask --secrets-from "$secrets" --lines < "$fifo" &
  followers+=($!)
  tail -n +1 -f --pid="$pid" "$log" > "$fifo" &
  followers+=($!)
elif [ -n "$pid" ] && [ -f "$log" ]; then
  echo "::error::The secrets of the plan ($secrets) are missing, so terraform's log cannot be masked: it is withheld (it is in $log on the runner until the job ends)."
fi

running=no
if [ -n "$pid" ]; then
  waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge "$wait_seconds" ]; then
      running=yes
      break
    fi
    sleep 1
    waited=$((waited + 1))
  done
fi
if [ "${#followers[@]}" -gt 0 ]; then
  if [ "$running" = yes ]; then kill "${followers[@]}" 2>/dev/null; fi
  wait "${followers[@]}" 2>/dev/null
fi
if [ "$running" = no ]; then rm -f "$secrets"; fi

decision=$(node "$tools" lock own "${source_args[@]}" --holder "$holder" --terraform-running "$running") || exit 1
id=${decision#release=}
if [ "$running" = yes ]; then
  echo "::error::terraform is still running after ${wait_seconds} s; GitHub stops the job and its processes within the 5 minutes after a cancel, so the lock may stay. Check the state (run drift), then release the lock with the unlock workflow (command above)."
  exit 1
fi
if [ -z "$id" ]; then
  echo "No lock of this job is left."
  exit 0
fi
echo "::warning::terraform stopped without releasing lock $id; releasing it. Resources changed in the last seconds before the stop may be missing from the state: run the drift workflow for this environment."
terraform -chdir="$stack_dir" force-unlock -force "$id"
