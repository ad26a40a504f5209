#!/usr/bin/env bash
# The setup check: refuses to go on while a one-time setup step (docs/delivery.md, One-time setup)
# still holds the placeholder this repository ships with. The apply workflow runs it first, in its
# `head` job, before any job assumes a role.
#
#   bash delivery/setup-check.sh [CODEOWNERS]     (default .github/CODEOWNERS)
#
# Code owners: while CODEOWNERS names the placeholder team @example-org/platform, "Require review
# from Code Owners" protects nothing (GitHub ignores an owner that does not exist or has no write
# access), so changes to the workflows, the roles and the dependencies merge without the platform
# team's review.
# https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners
#
# Writes refused=<reason> to $GITHUB_OUTPUT when it refuses, so the apply's reports say why.
set -euo pipefail

PLACEHOLDER_TEAM='@example-org/platform'
codeowners=${1:-.github/CODEOWNERS}
out=${GITHUB_OUTPUT:-/dev/null}

if [ ! -f "$codeowners" ]; then
  echo "refused=setup incomplete: $codeowners is missing (docs/delivery.md, One-time setup, Code owners)" >> "$out"
  echo "Setup incomplete: $codeowners is missing; restore it and name your delivery team (docs/delivery.md, One-time setup, Code owners)." >&2
  exit 1
fi
# Rules only: comments may mention the placeholder.
lines=$(grep -n -v -E '^[[:space:]]*(#|$)' "$codeowners" | grep -F -- "$PLACEHOLDER_TEAM" || true)
if [ -n "$lines" ]; then
  count=$(printf '%s\n' "$lines" | wc -l)
  echo "refused=setup incomplete: $codeowners still names the placeholder team $PLACEHOLDER_TEAM (docs/delivery.md, One-time setup, Code owners)" >> "$out"
  echo "Setup incomplete: $codeowners still names the placeholder team $PLACEHOLDER_TEAM on $count line(s):" >&2
  printf '%s\n' "$lines" | sed 's/^/  line /' >&2
  echo "Replace it with your delivery team (@<organization>/<team-slug>, visible, with write access) and merge that first: docs/delivery.md, One-time setup, Code owners. Nothing was applied." >&2
  exit 1
fi
echo "Setup check passed: $codeowners names no placeholder owner."
