import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { satisfies } from './checks';
import { Database, type IAppDatabase } from './database';
import { regionOfDefined } from './regions';
import { WebTiersValidationError } from './validation';

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

/** A DynamoDB table by what the tiers use of it: its name, its ARN and a read/write grant. */
export const isTable = (v: unknown): boolean => typeof v === 'object' && v !== null &&
  'tableName' in v && 'tableArn' in v && typeof (v as { grantReadWriteData?: unknown }).grantReadWriteData === 'function';

/** The `table` prop's check. */
export const dataTable = satisfies(isTable,
  "a dynamodb.ITableV2 with string keys 'pk' and 'sk' (e.g. new dynamodb.TableV2(…) or TableV2.fromTableName(…))");

/**
 * What a given table reveals at synth: its region (from its ARN or its stack) must be the stack's,
 * since the function reaches the table in its own region through TABLE_NAME; and a table defined
 * in CDK must have the keys the app uses, string `pk` (partition) and `sk` (sort).
 */
export function checkDataTable(scope: Construct, table: dynamodb.ITable): void {
  const stackRegion = Stack.of(scope).region;
  const tableRegion = regionOfDefined(table.tableArn, table);
  if (tableRegion !== undefined && !Token.isUnresolved(stackRegion) && tableRegion !== stackRegion) {
    throw new WebTiersValidationError(scope, 'table',
      `is in ${tableRegion} and the stack in ${stackRegion}: the app finds its table by name in its own region; accepted: a table in ${stackRegion}`);
  }
  const keys = keysOf(table);
  if (keys && (keys.pk !== 'partition key, string' || keys.sk !== 'sort key, string' || Object.keys(keys).length !== 2)) {
    const got = Object.entries(keys).map(([name, kind]) => `'${name}' (${kind})`).join(' and ');
    throw new WebTiersValidationError(scope, 'table',
      `has the keys ${got}; accepted: a table whose partition key is 'pk' and sort key 'sk', both strings (the keys the app reads and writes)`);
  }
}

/** `{ name: 'partition key, string' | 'sort key, number' … }` of a table defined in CDK; undefined for an imported one. */
function keysOf(table: dynamodb.ITable): Record<string, string> | undefined {
  const cfn = (table as Partial<Construct>).node?.defaultChild;
  if (!(cfn instanceof dynamodb.CfnGlobalTable) && !(cfn instanceof dynamodb.CfnTable)) return undefined;
  let schema: unknown;
  let attributes: unknown;
  try {
    // TableV2 gives its attribute definitions as a lazy list: resolved here, they are plain values.
    schema = Stack.of(cfn).resolve(cfn.keySchema);
    attributes = Stack.of(cfn).resolve(cfn.attributeDefinitions);
  } catch {
    return undefined;
  }
  if (!Array.isArray(schema) || !Array.isArray(attributes)) return undefined;
  const types = new Map<string, string>();
  for (const a of attributes) {
    if (typeof a !== 'object' || a === null || Token.isUnresolved(a)) return undefined;
    const { attributeName, attributeType } = a as { attributeName: string; attributeType: string };
    types.set(attributeName, attributeType);
  }
  const keys: Record<string, string> = {};
  for (const k of schema) {
    if (typeof k !== 'object' || k === null || Token.isUnresolved(k)) return undefined;
    const { attributeName, keyType } = k as { attributeName: string; keyType: string };
    if (typeof attributeName !== 'string' || Token.isUnresolved(attributeName)) return undefined;
    const type = types.get(attributeName);
    keys[attributeName] = `${keyType === 'HASH' ? 'partition' : 'sort'} key, ${type === 'S' ? 'string' : type === 'N' ? 'number' : type === 'B' ? 'binary' : type}`;
  }
  return keys;
}

/** Where a serverless tier's app keeps its data: the given database, or a table (given or new). */
export interface ServerlessStore {
  /** The table, given as `TABLE_NAME` (when there is no database). */
  readonly table?: dynamodb.ITableV2;
  /** The database, reached through its RDS Proxy. */
  readonly database?: Database;
}

/**
 * A serverless tier's store from its `table` and `database` props: with `database`, PostgreSQL
 * and no table; without, the given table or a new one (see {@link createDataTable}).
 */
export function serverlessStore(scope: Construct, props: { table?: dynamodb.ITableV2; database?: IAppDatabase }, removalPolicy: RemovalPolicy): ServerlessStore {
  const { table, database } = props;
  if (database === undefined) {
    return { table: table ?? createDataTable(scope, 'Table', removalPolicy) };
  }
  if (table !== undefined) {
    throw new WebTiersValidationError(scope, 'table',
      'is given together with database; accepted: one store, either database (PostgreSQL through RDS Proxy, DATABASE_URL) or table (DynamoDB, TABLE_NAME)');
  }
  if (!(database instanceof Database)) {
    throw new WebTiersValidationError(scope, 'database',
      'got a database this app does not create (Database.fromAttributes or an IAppDatabase of your own): the serverless tiers put RDS Proxy in front of it, which needs the RDS instance or cluster itself; ' +
      'accepted: a Database made in this app, new Database(scope, id, { network })');
  }
  return { database };
}
