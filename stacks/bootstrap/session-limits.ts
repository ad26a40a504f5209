/**
 * How long a deploy role's session may last (the role's max_session_duration). A job keeps the
 * credentials it got for its whole run, so the limit must cover the longest job that assumes the
 * role (its `timeout-minutes`) plus GitHub's cancellation window: after a timeout or a cancel the
 * server forcibly terminates jobs still running only after a 5-minute cancellation timeout
 * (https://docs.github.com/en/actions/reference/workflow-cancellation-reference), and an
 * `if: always()` step (the report, the state-lock release) may still call AWS in that window.
 * A shorter session lets Terraform write the state with expired credentials.
 * stacks/bootstrap/session-limits.test.ts reads .github/workflows/*.yml and fails when a job's
 * timeout outgrows its role.
 *
 * IAM accepts 3600 to 43200 seconds (MaxSessionDuration,
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html); a web-identity session
 * lasts 3600 seconds unless the caller asks for more (DurationSeconds,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html), which
 * the workflows do with role-duration-seconds.
 */

/** GitHub's cancellation timeout, in minutes. */
export const GITHUB_CANCEL_WINDOW_MINUTES = 5;

/** IAM's bounds of MaxSessionDuration, in seconds. */
export const MIN_SESSION_SECONDS = 3600;
export const MAX_SESSION_SECONDS = 43200;

/** Which role a workflow job assumes, by the repository variable holding its ARN (AWS_<KIND>_ROLE_ARN_<ENV>). */
export type SessionRole = 'plan' | 'apply' | 'usageJob' | 'bootstrapDrift';

/**
 * max_session_duration of each role, in seconds. apply: the apply jobs run up to 60 minutes,
 * + 5 = 65 minutes. The others: jobs of at most 30 minutes, so IAM's minimum of one hour covers them.
 */
export const SESSION_SECONDS: Readonly<Record<SessionRole, number>> = {
  plan: 3600,
  apply: 3900,
  usageJob: 3600,
  bootstrapDrift: 3600,
};

/** The shortest session that covers a job of `timeoutMinutes` and the cancel window. */
export function sessionSecondsNeeded(timeoutMinutes: number): number {
  return (timeoutMinutes + GITHUB_CANCEL_WINDOW_MINUTES) * 60;
}
