/**
 * The per-environment origin secret CloudFront sends to API Gateway as a custom header, so the
 * handlers can refuse calls that bypass CloudFront (and its logs, the billing record).
 *
 * Generated with AWS only (no second Terraform provider to download and pin): Secrets Manager's
 * GetRandomPassword (data source aws_secretsmanager_random_password) seeds a secret version once;
 * `ignore_changes` on secret_string keeps that first value, because the data source returns a new
 * password on every plan. References read the stored value, which the provider marks sensitive
 * (secret_string), so Terraform redacts it in plans and everything derived from it (the CloudFront
 * header, the Lambda environment). It is never an output. To rotate: `terraform apply -replace` on
 * the secret version. Cost: one secret, about $0.40 a month.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/secretsmanager_random_password
 */
import { Construct } from 'constructs';
import { DataAwsSecretsmanagerRandomPassword } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';

export class OriginSecret extends Construct {
  /** The secret value (a Terraform reference; sensitive). */
  readonly value: string;
  readonly secretArn: string;

  constructor(scope: Construct, id: string, props: { readonly prefix: string }) {
    super(scope, id);
    const seed = new DataAwsSecretsmanagerRandomPassword(this, 'seed', {
      passwordLength: 48,
      // Header-safe: letters and digits only.
      excludePunctuation: true,
      includeSpace: false,
    });
    const secret = new SecretsmanagerSecret(this, 'secret', {
      name: `${props.prefix}-origin-secret`,
      description: 'Value of the x-origin-secret header CloudFront adds to origin requests; handlers compare it.',
      recoveryWindowInDays: 7,
    });
    const version = new SecretsmanagerSecretVersion(this, 'version', {
      secretId: secret.id,
      secretString: seed.randomPassword,
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
    this.value = version.secretString;
    this.secretArn = secret.arn;
  }
}
