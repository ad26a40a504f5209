/**
 * Stack names, i.e. the folders under cdktf.out/stacks/. Workflows and docs derive paths from here.
 *   bootstrap              state bucket + GitHub OIDC and roles of the environments in the state account
 *   bootstrap-<accountId>  GitHub OIDC and roles of the environments in every other account
 *   billing-<env>          everything an environment runs
 */
export const BOOTSTRAP_STACK = 'bootstrap';

export function bootstrapStackName(accountId: string, stateAccountId: string): string {
  return accountId === stateAccountId ? BOOTSTRAP_STACK : `${BOOTSTRAP_STACK}-${accountId}`;
}

export function billingStackName(environment: string): string {
  return `billing-${environment}`;
}
