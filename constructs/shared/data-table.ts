import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';

/**
 * The serverless tiers' table: string keys `pk` and `sk` (any single-table design fits),
 * on-demand capacity, point-in-time recovery, encryption with the AWS-managed key, and
 * deletion protection plus retention unless the removal policy is `DESTROY`.
 * The app finds it in the `TABLE_NAME` environment variable.
 */
export function createDataTable(scope: Construct, id: string, removalPolicy: RemovalPolicy): dynamodb.TableV2 {
  const keep = removalPolicy !== RemovalPolicy.DESTROY;
  return new dynamodb.TableV2(scope, id, {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
    deletionProtection: keep,
    removalPolicy: keep ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
}
