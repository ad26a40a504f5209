#!/usr/bin/env bash
# Applies a saved plan so that cancelling the job never kills Terraform mid-apply holding the lock.
#
#   run: exec bash delivery/terraform-apply.sh "$STACK_DIR"      (exec: this script becomes the step's process)
#
# When a run is cancelled or a step times out, the runner sends SIGINT to the step's process, waits
# 7.5 s, sends SIGTERM, waits 2.5 s, then kills the whole process tree (actions/runner,
# src/Runner.Sdk/ProcessInvoker.cs CancelAndKillProcessTree). A terraform started by the step's
# shell never sees those signals, and the tree kill ends it in the middle of an apply, holding the
# S3 lock. Here terraform runs in the background and this script, on the first SIGINT or SIGTERM,
# forwards exactly one interrupt to it: Terraform then stops gracefully (lets the operations in
# flight finish, writes the state, releases the lock); a second interrupt would make it exit at
# once, so none is sent. The script exits before the runner's tree kill and leaves terraform
# running; the job's next step (delivery/release-state-lock.sh, `if: cancelled() || failure()`)
# waits for it and releases the lock only if it was left behind.
# https://developer.hashicorp.com/terraform/cli/commands/apply
# Terraform re-enables SIGINT even though asynchronous commands of a non-interactive shell start
# with it ignored: Go's signal.Notify installs a handler for a signal ignored at start
# (https://pkg.go.dev/os/signal, "If the program was started with SIGHUP or SIGINT ignored").
set -uo pipefail
stack_dir=${1:?usage: terraform-apply.sh STACK_DIR [PLAN_FILE]}
plan=${2:-tfplan}
pidfile=${TERRAFORM_PIDFILE:-${RUNNER_TEMP:-/tmp}/terraform-apply.pid}
grace=${TERRAFORM_SIGNAL_GRACE_SECONDS:-6}

terraform -chdir="$stack_dir" apply -input=false -no-color -lock-timeout=5m "$plan" &
tf=$!
echo "$tf" > "$pidfile"

forwarded=0
# shellcheck disable=SC2317 # invoked by the trap below
on_signal() {
  if [ "$forwarded" = 0 ]; then
    forwarded=1
    echo "::warning::Cancellation received: sent one interrupt to terraform (pid $tf). It finishes the operations in flight, writes the state and releases the lock; the next step waits for it."
    kill -INT "$tf" 2>/dev/null || true
  fi
  # Stay within the runner's SIGINT window: report terraform's own exit if it comes quickly.
  for _ in $(seq 1 "$grace"); do
    if ! kill -0 "$tf" 2>/dev/null; then
      wait "$tf" 2>/dev/null
      rm -f "$pidfile"
      exit 130
    fi
    sleep 1
  done
  exit 130
}
trap on_signal INT TERM

wait "$tf"
code=$?
rm -f "$pidfile"
exit "$code"
