#!/usr/bin/env bash
# Terraform-level checks of the synthesized stacks, for the ci workflow's terraform job; they need
# no AWS credentials, so they run for pull requests from forks and for pull requests whose plan
# failed.
#
#   bash delivery/terraform-providers.sh check-lock [STACKS_ROOT]   the committed provider lock file is current
#   bash delivery/terraform-providers.sh validate   [STACKS_ROOT]   init -backend=false + validate of every stack
#
# STACKS_ROOT defaults to cdktf.out/stacks (npm run synth). Environment:
#   LOCK_FILE          committed lock file (default stacks/.terraform.lock.hcl), copied beside each stack
#   PLATFORMS          platforms whose package hashes the lock records
#                      (default: linux_amd64 linux_arm64 darwin_amd64 darwin_arm64: GitHub's runners
#                      and developers' machines)
#   PROVIDER_MIRROR    a filesystem mirror for `providers lock` (tests, offline); default: the registry
#   GENERATED_LOCK     where check-lock writes the lock it generated (default $RUNNER_TEMP/.terraform.lock.hcl)
#
# check-lock generates the lock from the stacks' required_providers with
# `terraform providers lock -platform=...` (zh: hashes of every platform's package from the
# registry, and h1: hashes) and fails when the committed file is missing or differs, printing the
# file to commit. validate inits each stack without its backend, refusing providers that do not
# match the committed lock (-lockfile=readonly), and validates it.
# https://developer.hashicorp.com/terraform/cli/commands/providers/lock
# https://developer.hashicorp.com/terraform/cli/commands/init (-backend=false, -lockfile=readonly)
# https://developer.hashicorp.com/terraform/cli/commands/validate
set -euo pipefail
command=${1:?usage: terraform-providers.sh check-lock|validate [STACKS_ROOT]}
root=${2:-cdktf.out/stacks}
lock_file=${LOCK_FILE:-stacks/.terraform.lock.hcl}
read -r -a platforms <<< "${PLATFORMS:-linux_amd64 linux_arm64 darwin_amd64 darwin_arm64}"
summary=${GITHUB_STEP_SUMMARY:-/dev/null}

stacks=()
for dir in "$root"/*/; do
  if [ -f "$dir/cdk.tf.json" ]; then stacks+=("${dir%/}"); fi
done
if [ "${#stacks[@]}" -eq 0 ]; then
  echo "::error::no synthesized stacks under $root; run npm run synth first"
  exit 1
fi

case "$command" in
  check-lock)
    # Every stack must ask for the same providers: one lock file serves them all.
    first=$(jq -cS '.terraform.required_providers // {}' "${stacks[0]}/cdk.tf.json")
    for stack in "${stacks[@]}"; do
      other=$(jq -cS '.terraform.required_providers // {}' "$stack/cdk.tf.json")
      if [ "$other" != "$first" ]; then
        echo "::error::$stack requires providers $other, ${stacks[0]} requires $first: one lock file cannot serve both"
        exit 1
      fi
    done
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    jq '{terraform: {required_providers: (.terraform.required_providers // {})}}' "${stacks[0]}/cdk.tf.json" > "$work/main.tf.json"
    args=()
    for p in "${platforms[@]}"; do args+=("-platform=$p"); done
    if [ -n "${PROVIDER_MIRROR:-}" ]; then args+=("-fs-mirror=$PROVIDER_MIRROR"); fi
    terraform -chdir="$work" providers lock -no-color "${args[@]}" >&2
    generated=${GENERATED_LOCK:-${RUNNER_TEMP:-$work}/.terraform.lock.hcl}
    cp "$work/.terraform.lock.hcl" "$generated"
    if [ ! -f "$lock_file" ]; then
      echo "::error title=Provider lock file missing::commit $lock_file with the content below (platforms: ${platforms[*]}); it is also the artifact terraform-provider-lock of this run"
      { echo "### Provider lock file to commit as \`$lock_file\`"; echo; echo '```hcl'; cat "$generated"; echo '```'; } >> "$summary"
      cat "$generated"
      exit 1
    fi
    if ! diff -u "$lock_file" "$generated"; then
      echo "::error title=Provider lock file stale::$lock_file differs from the providers the stacks require (diff above); commit the generated file (artifact terraform-provider-lock of this run)"
      { echo "### Provider lock file is stale: commit this as \`$lock_file\`"; echo; echo '```hcl'; cat "$generated"; echo '```'; } >> "$summary"
      exit 1
    fi
    echo "$lock_file records the providers of ${#stacks[@]} stacks for ${platforms[*]}."
    ;;
  validate)
    failed=()
    for stack in "${stacks[@]}"; do
      echo "::group::validate $stack"
      init_args=(-backend=false -input=false -no-color)
      if [ -f "$lock_file" ]; then
        cp "$lock_file" "$stack/.terraform.lock.hcl"
        init_args+=(-lockfile=readonly)
      else
        echo "::warning::No committed provider lock file at $lock_file: $stack is validated with whatever provider versions init selects."
      fi
      if terraform -chdir="$stack" init "${init_args[@]}" && terraform -chdir="$stack" validate -no-color; then
        echo "::endgroup::"
      else
        echo "::endgroup::"
        echo "::error::terraform validate failed for $stack"
        failed+=("$stack")
      fi
    done
    if [ "${#failed[@]}" -gt 0 ]; then
      echo "Terraform validation failed for: ${failed[*]}"
      exit 1
    fi
    echo "Terraform validated ${#stacks[@]} stacks: ${stacks[*]}"
    ;;
  *)
    echo "usage: terraform-providers.sh check-lock|validate [STACKS_ROOT]" >&2
    exit 2
    ;;
esac
