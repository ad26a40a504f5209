/**
 * Name rules that the configuration (config/validate.ts) checks before synthesis and the usage job
 * (usage-job/aws/deployment-file.ts) checks again when it reads what Terraform wrote: one
 * definition, so both accept exactly the same names.
 */

/** A 12-digit AWS account id. */
export const ACCOUNT_ID = /^\d{12}$/;
/** An AWS Region code, e.g. eu-west-1, us-east-2, ap-southeast-4, us-gov-west-1. */
export const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
/** An environment, plan, project or prefix name: lowercase letters, digits and single dashes, starting with a letter. */
export const NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
export const MAX_ENVIRONMENT_NAME_LENGTH = 16;
/** An API key id: lowercase letters, digits and single dashes, starting and ending with a letter or digit. */
export const MAX_KEY_ID_LENGTH = 64;
export const KEY_ID = new RegExp(`^(?=.{1,${MAX_KEY_ID_LENGTH}}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$`);
/** S3 general purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
