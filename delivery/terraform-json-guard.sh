#!/usr/bin/env bash
# Refuses synthesized Terraform JSON that could run code of its own in a job holding AWS
# credentials, before `terraform init` sees it:
#   - a provider not in main's provider lock file (with no lock file yet: only hashicorp/aws),
#     since a provider is a program Terraform runs with the job's credentials;
#   - a provisioner (local-exec runs any command; file and remote-exec reach other machines)
#     https://developer.hashicorp.com/terraform/language/resources/provisioners/syntax ;
#   - the `external` data source, which runs a program during plan
#     https://registry.terraform.io/providers/hashicorp/external/latest/docs/data-sources/external ;
#   - a module block (a module can bring any of the above from a source outside this check);
#   - a backend other than s3 (the state, secrets included, would be sent elsewhere).
#
#   bash delivery/terraform-json-guard.sh <main's lock file (may not exist)> <cdk.tf.json>...
#
# Prints one line per refusal and exits 1 if there is any; needs only bash and jq.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: terraform-json-guard.sh LOCK_FILE STACK_JSON..." >&2
  exit 2
fi
lock_file=$1
shift

# Provider addresses in the lock file: provider "registry.terraform.io/hashicorp/aws" {
if [ -f "$lock_file" ]; then
  allowed=$(sed -n 's/^provider "\([^"]*\)" {$/\1/p' "$lock_file" | sort -u)
else
  allowed=registry.terraform.io/hashicorp/aws
fi

refused=0
for file in "$@"; do
  if ! problems=$(jq -r --arg allowed "$allowed" '
      def address: if test("/") then (if (split("/") | length) == 2 then "registry.terraform.io/" + . else . end)
                   else "registry.terraform.io/hashicorp/" + . end | ascii_downcase;
      ($allowed | split("\n")) as $ok
      | ((.terraform.required_providers // {}) | to_entries[]
          | (.value | if type == "object" then .source // "" else "" end) as $src
          | ($src | if . == "" then null else address end) as $addr
          | if $addr == null then "provider \(.key) has no source"
            elif ($ok | index($addr)) == null then "provider \(.key) (\($addr)) is not in main'"'"'s provider lock file"
            else empty end),
        ((.provider // {}) | keys[]
          | select((. as $name | $ok | map(split("/") | last) | index($name)) == null)
          | "provider block \(.) names a provider that is not in main'"'"'s provider lock file"),
        # Anywhere, in any of the forms Terraform JSON accepts (a block as an object or a list of
        # objects, at every level): a provisioner, and an external data source.
        ([paths(type == "object" and has("provisioner"))] | .[]
          | "\(map(tostring) | join(".")) has a provisioner"),
        (if [(.data // {}) | .. | objects | select(has("external"))] | length > 0
         then "data source \"external\" runs a program during plan" else empty end),
        ((.module // {}) | keys[] | "module \(.) is not allowed (synthesized stacks have none)"),
        ((.terraform.backend // {}) | keys[] | select(. != "s3") | "backend \(.) is not the S3 state backend")
    ' "$file"); then
    echo "$file: not valid Terraform JSON"
    refused=1
    continue
  fi
  if [ -n "$problems" ]; then
    while IFS= read -r line; do echo "$file: $line"; done <<< "$problems"
    refused=1
  fi
done

if [ "$refused" -ne 0 ]; then
  echo "Refused: this Terraform JSON would run code of its own with AWS credentials. See docs/delivery.md, Credentials only where needed."
  exit 1
fi
echo "Terraform JSON checked: providers from main's lock file only, no provisioner, no external data source, no module."
