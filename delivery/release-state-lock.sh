#!/usr/bin/env bash
# After a cancelled or failed apply step: wait for the job's terraform to stop, then release the
# state lock only if this job left it behind.
#
#   - name: Release the state lock if this job left it
#     if: cancelled() || failure()
#     run: exec bash delivery/release-state-lock.sh "$STACK_DIR" "$STATE_BUCKET"
#
# delivery/terraform-apply.sh forwarded one interrupt to terraform and left it running; a graceful
# stop releases the lock itself. This step keeps the job alive while terraform finishes (the runner
# kills the job's leftover processes when the job ends), then asks delivery:lock whether a lock is
# still held by this runner (`<user>@<hostname>`, Terraform's lock "Who") with no terraform left,
# and only then runs `terraform force-unlock`. A lock of anyone else is never touched here; the
# unlock workflow handles those, guarded.
#
# LOCK_FILE (tests): read the lock from this file instead of the stack's S3 backend.
set -uo pipefail
stack_dir=${1:?usage: release-state-lock.sh STACK_DIR [STATE_BUCKET]}
bucket=${2:-}
pidfile=${TERRAFORM_PIDFILE:-${RUNNER_TEMP:-/tmp}/terraform-apply.pid}
wait_seconds=${TERRAFORM_STOP_WAIT_SECONDS:-900}

log=${TERRAFORM_APPLY_LOG:-${RUNNER_TEMP:-/tmp}/terraform-apply.log}
follower=
running=no
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  # terraform writes to its log file (delivery/terraform-apply.sh), never to a step's output pipe.
  if [ -f "$log" ]; then
    echo "terraform's output, from the start (the apply step's log ends at the cancel):"
    tail -n +1 -f --pid="$pid" "$log" &
    follower=$!
  fi
  waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge "$wait_seconds" ]; then
      running=yes
      break
    fi
    if [ $((waited % 30)) -eq 0 ]; then echo "Waiting for terraform (pid $pid) to stop and release the lock ($waited s)..."; fi
    sleep 1
    waited=$((waited + 1))
  done
fi
if [ -n "$follower" ]; then
  if [ "$running" = yes ]; then kill "$follower" 2>/dev/null; fi
  wait "$follower" 2>/dev/null
fi

source_args=(--stack-dir "$stack_dir")
if [ -n "${LOCK_FILE:-}" ]; then source_args=(--lock-file "$LOCK_FILE"); elif [ -n "$bucket" ]; then source_args+=(--bucket "$bucket"); fi
holder="$(id -un)@$(hostname)"
decision=$(npm run --silent delivery:lock -- own "${source_args[@]}" --holder "$holder" --terraform-running "$running") || exit 1
id=${decision#release=}
if [ "$running" = yes ]; then
  echo "::error::terraform is still running after ${wait_seconds} s; when the job ends the runner kills it and the lock may stay. Check the state, then run the unlock workflow."
  exit 1
fi
if [ -z "$id" ]; then
  echo "No lock of this job is left."
  exit 0
fi
echo "::warning::terraform stopped without releasing lock $id; releasing it. Resources changed in the last seconds before the stop may be missing from the state: run the drift workflow for this environment."
terraform -chdir="$stack_dir" force-unlock -force "$id"
