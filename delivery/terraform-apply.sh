#!/usr/bin/env bash
# Applies a saved plan so that cancelling the job never kills Terraform mid-apply holding the lock.
#
#   run: exec bash delivery/terraform-apply.sh "$STACK_DIR"      (exec: this script becomes the step's process)
#
# When a run is cancelled or a job times out, the runner sends SIGINT to the step's process, waits
# 7.5 s, sends SIGTERM, waits 2.5 s, then kills that process (actions/runner,
# src/Runner.Sdk/ProcessInvoker.cs: `kill(_proc.Id, sig)`, then NixKillProcessTree = `_proc.Kill()`,
# the step's process only; its orphans die when the job ends, "Cleaning up orphan processes").
# A terraform started by the step's shell never sees those signals and dies at the job's end in
# the middle of an apply, holding the S3 lock. Here terraform runs in the background and this
# script, on the first SIGINT or SIGTERM, forwards exactly one interrupt to it: Terraform then
# stops gracefully (lets the operations in flight finish, writes the state, releases the lock); a
# second interrupt would make it exit at once, so none is sent. The script exits within the
# runner's SIGINT window and leaves terraform running; the job's next step
# (delivery/release-state-lock.sh, `if: cancelled() || failure()`) waits for it and releases the
# lock only if it was left behind.
# https://developer.hashicorp.com/terraform/cli/commands/apply
# Terraform re-enables SIGINT even though asynchronous commands of a non-interactive shell start
# with it ignored: Go's signal.Notify installs a handler for a signal ignored at start
# (https://pkg.go.dev/os/signal, "If the program was started with SIGHUP or SIGINT ignored").
#
# Terraform never writes to the step's output pipe, only to a log file, which `tail --pid` copies
# to the step's output until terraform exits. Once the step's process has exited, the runner waits
# 5 s for the output pipes to close, then stops reading them (ProcessInvoker.ProcessExitedHandler)
# and disposes the process, closing their read ends. A terraform still writing to such a pipe
# ("Still modifying... [10s elapsed]" during a long CloudFront update) is then killed by SIGPIPE
# mid-apply, before it writes the state and releases the lock: Go programs die on a write to a
# broken pipe on fd 1 or 2 (https://pkg.go.dev/os/signal, "SIGPIPE"), and Terraform 1.11.4 exits
# 141 on one even when started with SIGPIPE ignored (`(sleep 1; terraform -help) | true`).
# The log file is in the job's temp directory; delivery/release-state-lock.sh prints it after a
# cancel.
#
# The log reaches the step's output only through the masker (plan-mask --lines of the delivery
# tools, delivery/plan-mask-cli.ts), with the secrets of `terraform show -json` of the plan:
# Terraform masks only the values a provider marks sensitive, and providers miss some, such as
# aws_secretsmanager_random_password, whose id is the password and is printed as
# `Read complete after 0s [id=...]` (hashicorp/terraform-provider-aws#26739). If that JSON cannot
# be made, the log is withheld rather than printed raw. The JSON stays (mode 600) while terraform
# runs past this script, for the next step's masker; RUNNER_TEMP "is emptied at the beginning and end
# of each job" (GitHub's variables reference, https://docs.github.com/en/actions/reference/workflows-and-actions/variables).
#
# DELIVERY_TOOLS: the verified delivery-tools bundle (default .gen/build/delivery-tools.cjs).
set -uo pipefail
stack_dir=${1:?usage: terraform-apply.sh STACK_DIR [PLAN_FILE]}
plan=${2:-tfplan}
pidfile=${TERRAFORM_PIDFILE:-${RUNNER_TEMP:-/tmp}/terraform-apply.pid}
log=${TERRAFORM_APPLY_LOG:-${RUNNER_TEMP:-/tmp}/terraform-apply.log}
secrets=${TERRAFORM_APPLY_SECRETS:-${RUNNER_TEMP:-/tmp}/terraform-apply-secrets.json}
grace=${TERRAFORM_SIGNAL_GRACE_SECONDS:-6}
tools=${DELIVERY_TOOLS:-.gen/build/delivery-tools.cjs}

rm -f "$secrets"
shown=yes
(umask 077 && terraform -chdir="$stack_dir" show -json "$plan" > "$secrets" 2> /dev/null) || shown=no
if [ "$shown" = no ]; then rm -f "$secrets"; fi

: > "$log"
terraform -chdir="$stack_dir" apply -input=false -no-color -lock-timeout=5m "$plan" > "$log" 2>&1 < /dev/null &
tf=$!
echo "$tf" > "$pidfile"
fifo="$log.fifo"
# shellcheck disable=SC2317 # invoked by the trap below
clean_up() {
  rm -f "$fifo"
  if ! kill -0 "$tf" 2>/dev/null; then rm -f "$secrets"; fi
}
trap clean_up EXIT

# The follower: GNU tail (with --pid, it stops following once terraform is gone, after printing
# the rest) into the masker through a FIFO, so that both pids are known and can be killed.
followers=()
if [ "$shown" = yes ]; then
  rm -f "$fifo"
  mkfifo -m 600 "$fifo"
  node "$tools" plan-mask --secrets-from "$secrets" --lines < "$fifo" &
  followers+=($!)
  tail -n +1 -f --pid="$tf" "$log" > "$fifo" &
  followers+=($!)
else
  echo "::error::terraform show -json $plan failed, so the apply log cannot be masked: it is withheld from this step's output (it is in $log on the runner until the job ends)."
fi

forwarded=0
# shellcheck disable=SC2317 # invoked by the trap below
on_signal() {
  if [ "$forwarded" = 0 ]; then
    forwarded=1
    echo "::warning::Cancellation received: sent one interrupt to terraform (pid $tf). It finishes the operations in flight, writes the state and releases the lock; the next step waits for it and prints the rest of its output."
    kill -INT "$tf" 2>/dev/null || true
  fi
  # Stay within the runner's SIGINT window: report terraform's own exit if it comes quickly.
  for _ in $(seq 1 "$grace"); do
    if ! kill -0 "$tf" 2>/dev/null; then
      wait "$tf" 2>/dev/null
      rm -f "$pidfile"
      wait "${followers[@]}" 2>/dev/null
      exit 130
    fi
    sleep 1
  done
  # Nothing of this step may hold its output pipes once it has exited: terraform writes to the
  # log file only, and the follower goes.
  kill "${followers[@]}" 2>/dev/null || true
  exit 130
}
trap on_signal INT TERM

wait "$tf"
code=$?
wait "${followers[@]}"
rm -f "$pidfile"
exit "$code"
