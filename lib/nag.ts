import { Stack, Validations } from 'aws-cdk-lib';
// The same function cdk-nag's IAM5 rule uses to name a finding after a resource.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges one AwsSolutions-IAM5 finding: a wildcard in a resource that cannot be narrowed.
 * cdk-nag names the finding after the rendered resource (`<LogicalId.Arn>`, `<AWS::AccountId>`), and an
 * acknowledgement must match that id exactly, so the id is rendered here from the same token that
 * produced the finding, instead of being copied from a synth report.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const rendered = flattenCfnReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${rendered}]`, reason });
}
