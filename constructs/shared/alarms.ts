import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { WebTiersValidationError } from './validation';

/** Where a tier's alarms go. */
export interface AlarmOptions {
  /**
   * The topic alarms notify.
   * @default - a new topic encrypted with a new KMS key that CloudWatch may use
   */
  readonly topic?: sns.ITopic;
  /**
   * An email address subscribed to the topic (the owner confirms the subscription).
   * @default - no subscription
   */
  readonly email?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The alarm topic for a tier: the one given, or a new encrypted, TLS-only topic. */
export function alarmTopic(scope: Construct, options: AlarmOptions = {}): sns.ITopic {
  const { email } = options ?? {};
  if (email !== undefined && !Token.isUnresolved(email) && !EMAIL.test(email)) {
    throw new WebTiersValidationError(scope, 'alarms.email', `got '${email}'; accepted: an email address such as 'ops@example.com'`);
  }
  let topic = options.topic;
  if (!topic) {
    const key = new kms.Key(scope, 'AlarmKey', {
      description: `Encrypts the alarm topic of ${scope.node.path}`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      // The key protects notifications in transit through SNS, not stored data.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch publishes alarm notifications to an encrypted topic only with this grant.
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    restrictGrantsToAwsServices(key);
    topic = new sns.Topic(scope, 'AlarmTopic', { masterKey: key, enforceSSL: true });
  }
  if (email) topic.addSubscription(new subs.EmailSubscription(email));
  return topic;
}

/**
 * Denies kms:CreateGrant unless the grant is for an AWS resource or made by an AWS service,
 * so nobody can hand the key's use to an arbitrary principal.
 */
export function restrictGrantsToAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'RestrictGrantsToAwsServices',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
}

/** Notifies `topic` on ALARM and on OK. */
export function notify(alarm: cloudwatch.Alarm, topic: sns.ITopic): cloudwatch.Alarm {
  const action = new cwActions.SnsAction(topic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}
