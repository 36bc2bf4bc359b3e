import { type RemovalPolicy, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct, IConstruct } from 'constructs';
import type { AlarmOptions } from './alarms';
import { certificate, instanceOf, isHostedZone, recordOf, removalPolicy, required, retentionDays, satisfies, shape, string, topic, type Check, type Spec } from './checks';
import type { IDeployment } from './deployment';
import { WebTiersValidationError, checkDomainInZone, checkDomainName, checkMovedProps } from './validation';
import { WebApp } from './web-app';

/** A value an operator needs from a deployed tier, written by a stack as a CloudFormation output. */
export interface WebTierOutput {
  /** The value (usually a token). */
  readonly value: string;
  /** What it is for. */
  readonly description: string;
}

/**
 * What every tier exposes, whatever runs the app: code written against `IWebTier` works on every
 * rung of the ladder. `grantPrincipal` is what the app runs as, so `bucket.grantRead(tier)` gives
 * the app access on any tier. Tiers 1-4, which run in a VPC, are also `ec2.IConnectable`.
 */
export interface IWebTier extends IConstruct, iam.IGrantable {
  /** The URL users reach the app on. */
  readonly url: string;
  /** The topic the tier's alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /** The tier's alarms. */
  readonly alarms: cloudwatch.Alarm[];
  /** The log groups holding the app's own output (stdout and stderr). */
  readonly appLogGroups: logs.ILogGroup[];
  /**
   * What an operator needs besides the URL (an address, a load balancer's DNS name, a table
   * name), by output name; a stack writes each as a CloudFormation output.
   */
  readonly outputs: { [name: string]: WebTierOutput };
}

/**
 * The domain a tier serves the app on, the same on every tier (in the style of ecs-patterns'
 * `domainName` / `domainZone` / `certificate`): the tier creates the DNS record in `domainZone`
 * and its `url` becomes `https://<domainName>`.
 */
export interface WebTierDomain {
  /** The domain users reach the app on, e.g. 'app.example.com'; it must be in `domainZone`. */
  readonly domainName: string;
  /** The Route 53 hosted zone of the domain, where the tier creates the record. */
  readonly domainZone: route53.IHostedZone;
  /**
   * An ACM certificate covering the domain: in the stack's region for a load balancer or a
   * regional API (tiers 2-5), in us-east-1 for CloudFront (tier 6). Tier 1 takes none: it gets
   * its certificate from Let's Encrypt on the instance.
   * @default - a DNS-validated certificate created in `domainZone` (tier 6: only in a us-east-1 stack)
   */
  readonly certificate?: acm.ICertificate;
}

/**
 * Checks a domain: a well-formed name, its zone given (a JavaScript caller can omit it), and the
 * name inside the zone when the zone's name is known.
 */
export function checkWebTierDomain(scope: Construct, domain: WebTierDomain | undefined): void {
  if (!domain) return;
  checkMovedProps(scope, domain, 'domain', { hostedZone: 'domain.domainZone (the same Route 53 zone)' });
  checkDomainName(scope, 'domain.domainName', domain.domainName);
  if (!domain.domainZone) {
    throw new WebTiersValidationError(scope, 'domain.domainZone',
      `is required: the record of '${domain.domainName}' is created there; accepted: the Route 53 hosted zone of the domain`);
  }
  checkDomainInZone(scope, 'domain.domainName', domain.domainName, domain.domainZone);
  const arn = domain.certificate?.certificateArn;
  if (arn !== undefined && !Token.isUnresolved(arn) && !CERTIFICATE_ARN.test(arn)) {
    throw new WebTiersValidationError(scope, 'domain.certificate',
      `got '${arn}'; accepted: an ACM certificate ARN 'arn:aws:acm:<region>:<account>:certificate/<uuid>'`);
  }
  const names = certificateNames(domain.certificate);
  if (names && !Token.isUnresolved(domain.domainName) && !names.some((name) => covers(name, domain.domainName))) {
    throw new WebTiersValidationError(scope, 'domain.certificate',
      `covers ${names.map((n) => `'${n}'`).join(', ')}, not '${domain.domainName}'; accepted: a certificate for '${domain.domainName}' or a wildcard one level above it`);
  }
}

/**
 * The names a certificate made in this app is for (its domain name and alternative names), or
 * undefined when they are not known at synth: an imported certificate does not say, and only a
 * deploy can tell whether it covers the domain.
 */
function certificateNames(certificate: acm.ICertificate | undefined): string[] | undefined {
  const cfn = certificate instanceof acm.Certificate ? certificate.node.defaultChild : undefined;
  if (!(cfn instanceof acm.CfnCertificate)) return undefined;
  const names = [cfn.domainName, ...(cfn.subjectAlternativeNames ?? [])];
  return names.some((n) => typeof n !== 'string' || Token.isUnresolved(n)) ? undefined : names.map((n) => n.toLowerCase().replace(/\.$/, ''));
}

/** A certificate name covers a domain: the same name, or a wildcard for exactly one label above it. */
function covers(name: string, domainName: string): boolean {
  if (name === domainName) return true;
  return name.startsWith('*.') && domainName.split('.').slice(1).join('.') === name.slice(2);
}

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-f-]{36}$/;

/** The domain as 0.1 took it names its new place before anything else is said of it. */
function movedFirst(check: Check): Check {
  return {
    accepted: check.accepted,
    validate(value, at) {
      checkMovedProps(at.scope, value as object, 'domain', { hostedZone: 'domain.domainZone (the same Route 53 zone)' });
      check.validate(value, at);
    },
  };
}

/**
 * The runtime checks of the props every tier takes (`WebTierProps`): each tier spreads this into its
 * own spec and checks it first thing, so a wrong type fails naming the prop before anything is built.
 * `deployment` is checked by each tier, which knows the types it takes.
 */
export const WEB_TIER_SPEC: Spec = {
  app: required(instanceOf([WebApp], 'a WebApp, from WebApp.fromEntry(path)')),
  domain: movedFirst(shape({
    domainName: required(string(undefined, "a domain name such as 'app.example.com'")),
    domainZone: required(satisfies(isHostedZone, 'the Route 53 hosted zone the record is created in (e.g. HostedZone.fromHostedZoneAttributes(…))')),
    certificate,
  }, 'an object { domainName, domainZone, certificate? }')),
  alarms: shape({ topic, email: string(undefined, 'an e-mail address') }, 'an object { topic?, email? }'),
  logRetention: retentionDays,
  removalPolicy,
  environment: recordOf(string(undefined, 'a string'), 'an object of variable names to string values'),
};

/** The domain's certificate: the given one, or a new DNS-validated one in its zone. */
export function domainCertificate(scope: Construct, domain: WebTierDomain): acm.ICertificate {
  return domain.certificate ?? new acm.Certificate(scope, 'Certificate', {
    domainName: domain.domainName,
    validation: acm.CertificateValidation.fromDns(domain.domainZone),
  });
}

/**
 * Props every tier takes, with one meaning everywhere: a consumer using only these switches
 * tiers by changing the class name. Tier-specific settings stay in each tier's own props.
 */
export interface WebTierProps {
  /** The web app to run. */
  readonly app: WebApp;
  /**
   * The domain users reach the app on: the tier creates its record and serves HTTPS on it.
   * @default - no domain: the tier's own endpoint (HTTP on tiers 1-4)
   */
  readonly domain?: WebTierDomain;
  /**
   * Where the tier's alarms notify.
   * @default - a new encrypted topic, no subscription
   */
  readonly alarms?: AlarmOptions;
  /**
   * Retention of the tier's log groups (the app's output, access and system logs).
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the tier's stateful resources (data volume, database, table, log buckets)
   * when they leave the stack. `DESTROY` only in development; anything else keeps the data.
   * @default - keeps the data: RETAIN on tiers 1, 5 and 6; SNAPSHOT for a database the tier creates
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Extra environment variables for the app (not secrets: they are visible in the template).
   * Names the tier sets itself are rejected.
   * @default - none
   */
  readonly environment?: { [name: string]: string };
  /**
   * How a new version replaces the old: `Deployment.allAtOnce()`, `Deployment.rolling()` or
   * `Deployment.canary()`, meaning the same on every tier and mapped to what its service offers;
   * a tier that cannot do what is asked fails at synth naming it (see README, "Deployments"). Tiers
   * 3-6 also take their own type (`RollingDeployment`, `BeanstalkDeployment`, `ServerlessDeployment`).
   * @default - the tier's safest: tier 1 all at once (one instance); tier 2 one instance at a
   * time; tier 3 rolling, 90 % in service; tier 4 rolling with an additional batch; tiers 5-6
   * canary 10 % for 5 minutes
   */
  readonly deployment?: IDeployment;
}
