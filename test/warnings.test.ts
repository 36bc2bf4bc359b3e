import { Annotations as CoreAnnotations, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { IConstruct } from 'constructs';
import {
  AutoScalingTier, BeanstalkDeployment, BeanstalkLoadBalancer, Database, Deployment, Egress, LoadBalancedTier, ManagedAutoScalingTier,
  Network, SINGLE_INSTANCE_FLEET_WARNING, SINGLE_POINT_OF_FAILURE_WARNING, SingleInstanceTier,
} from '../constructs';
import { SinglePointOfFailure } from '../constructs/shared/warnings';
import { addNagChecks } from '../lib/nag';
import { testApp, testStack, webApp } from './helpers';
import { captureSynthWarnings } from './synth-warnings';

const PREFIX = 'cdk-web-tiers:singlePointOfFailure';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The warning `id`, matched by its exact acknowledgement tag (ids share a prefix). */
const warningOf = (id: string) => Match.stringLikeRegexp(`single point of failure.*\\[ack: ${escape(id)}\\]`);

// Synth prints every unacknowledged warning, as `cdk synth` does: the tests here check what it prints.
const warnings = captureSynthWarnings(...SinglePointOfFailure.ALL);

/**
 * Every single-point-of-failure warning of a synthesized stack, as `path id`. Each stack is
 * synthesized once, as `cdk synth` does: synthesizing a LoadBalancedTier again adds a warning of
 * aws-cdk-lib's own (its RequireImdsv2Aspect finds the launch template it made in the first synth).
 */
function spofWarnings(annotations: Annotations): string[] {
  return annotations.findWarning('*', Match.stringLikeRegexp(escape(PREFIX)))
    .map((m) => `${m.id} ${/\[ack: ([^\]]+)\]/.exec(String(m.entry.data))![1]}`)
    .sort();
}

/** A network and a database with no single point of their own, so that only the case under test warns. */
function redundant(stack: Stack) {
  const network = new Network(stack, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ });
  return { network, database: new Database(stack, 'Db', { network }) };
}

const allAtOnce = { deployment: BeanstalkDeployment.allAtOnce() };

// [case, build the construct that has the single point, its path, the warning's id]
const RAISED: Array<[string, (s: Stack) => IConstruct, string, string]> = [
  ['SingleInstanceTier', (s) => new SingleInstanceTier(s, 'Web', { app: webApp }), '/Test/Web', SinglePointOfFailure.SINGLE_INSTANCE],
  ['LoadBalancedTier with instanceCount 1', (s) => new LoadBalancedTier(s, 'Web', { app: webApp, ...redundant(s), instanceCount: 1 }),
    '/Test/Web', SinglePointOfFailure.SINGLE_INSTANCE_FLEET],
  ['AutoScalingTier with capacity.min 1', (s) => new AutoScalingTier(s, 'Web', { app: webApp, ...redundant(s), capacity: { min: 1, max: 3 } }),
    '/Test/Web', SinglePointOfFailure.SINGLE_INSTANCE_GROUP],
  ['AutoScalingTier with capacity.max 1', (s) => new AutoScalingTier(s, 'Web', {
    app: webApp, ...redundant(s), capacity: { min: 1, max: 1 }, deployment: Deployment.allAtOnce(),
  }), '/Test/Web', SinglePointOfFailure.SINGLE_INSTANCE_GROUP],
  ['ManagedAutoScalingTier without a load balancer', (s) => new ManagedAutoScalingTier(s, 'Web', {
    app: webApp, ...redundant(s), loadBalancer: BeanstalkLoadBalancer.none(), ...allAtOnce,
  }), '/Test/Web', SinglePointOfFailure.BEANSTALK_SINGLE_INSTANCE],
  ['ManagedAutoScalingTier with scaling.min 1', (s) => new ManagedAutoScalingTier(s, 'Web', { app: webApp, ...redundant(s), scaling: { min: 1, max: 3 } }),
    '/Test/Web', SinglePointOfFailure.SINGLE_INSTANCE_GROUP],
  ['Network with one NAT gateway', (s) => new Network(s, 'Net', { egress: Egress.NAT_GATEWAY }), '/Test/Net', SinglePointOfFailure.NAT],
  ['Network with a NAT instance', (s) => new Network(s, 'Net', { egress: Egress.NAT_INSTANCE }), '/Test/Net', SinglePointOfFailure.NAT],
  ['single-AZ Database', (s) => new Database(s, 'Db', { network: new Network(s, 'Net', { egress: Egress.NONE }), multiAz: false }),
    '/Test/Db', SinglePointOfFailure.SINGLE_AZ_DATABASE],
];

describe('ids', () => {
  test('one kind: every id starts with the same prefix, and no two are equal', () => {
    expect(SinglePointOfFailure.ALL).toHaveLength(6);
    for (const id of SinglePointOfFailure.ALL) expect(id.startsWith(PREFIX)).toBe(true);
    expect(new Set(SinglePointOfFailure.ALL).size).toBe(SinglePointOfFailure.ALL.length);
  });

  test('the old constants are aliases of the static members', () => {
    expect(SINGLE_POINT_OF_FAILURE_WARNING).toBe(SinglePointOfFailure.SINGLE_INSTANCE);
    expect(SINGLE_INSTANCE_FLEET_WARNING).toBe(SinglePointOfFailure.SINGLE_INSTANCE_FLEET);
  });
});

describe.each(RAISED)('%s', (_name, build, path, id) => {
  test('raises exactly this single-point-of-failure warning, on the construct that has it; synth prints it with its id', () => {
    const stack = testStack();
    build(stack);
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning(path, warningOf(id));
    expect(spofWarnings(annotations)).toEqual([`${path} ${id}`]);
    expect(warnings.take()).toEqual([[id]]);
  });

  test('acknowledging it by id on the construct silences it, in synth\'s output too', () => {
    const stack = testStack();
    const construct = build(stack);
    CoreAnnotations.of(construct).acknowledgeWarning(id, 'accepted in this test');
    const annotations = Annotations.fromStack(stack);
    annotations.hasNoWarning(path, warningOf(id));
    expect(spofWarnings(annotations)).toEqual([]);
    expect(warnings.take()).toEqual([]);
  });

  test('acknowledging it on the stack beforehand silences it too; another id does not', () => {
    const stack = testStack();
    for (const other of SinglePointOfFailure.ALL.filter((o) => o !== id)) CoreAnnotations.of(stack).acknowledgeWarning(other, 'not this one');
    build(stack);
    expect(spofWarnings(Annotations.fromStack(stack))).toEqual([`${path} ${id}`]);

    const acknowledged = testStack();
    CoreAnnotations.of(acknowledged).acknowledgeWarning(id, 'accepted stack-wide');
    build(acknowledged);
    expect(spofWarnings(Annotations.fromStack(acknowledged))).toEqual([]);
    expect(warnings.take()).toEqual([[id]]);
  });
});

describe('not raised where there is no single point of failure', () => {
  test.each([Egress.NAT_GATEWAY_PER_AZ, Egress.NONE])('Network with egress %s', (egress) => {
    const stack = testStack();
    new Network(stack, 'Net', { egress });
    expect(spofWarnings(Annotations.fromStack(stack))).toEqual([]);
  });

  test('Network around an existing VPC (its egress is not ours to judge)', () => {
    const stack = testStack();
    new Network(stack, 'Net', { vpc: new ec2.Vpc(stack, 'Mine', { maxAzs: 2, natGateways: 1 }) });
    expect(spofWarnings(Annotations.fromStack(stack))).toEqual([]);
  });

  test('Database by default: Multi-AZ', () => {
    const stack = testStack();
    new Database(stack, 'Db', { network: new Network(stack, 'Net', { egress: Egress.NONE }) });
    expect(spofWarnings(Annotations.fromStack(stack))).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true });
  });

  test.each<[string, (s: Stack) => void]>([
    ['LoadBalancedTier with 2 instances', (s) => new LoadBalancedTier(s, 'Web', { app: webApp, ...redundant(s), instanceCount: 2 })],
    ['AutoScalingTier by default (min 2)', (s) => new AutoScalingTier(s, 'Web', { app: webApp, ...redundant(s) })],
    ['ManagedAutoScalingTier by default (a load balancer, min 2)', (s) => new ManagedAutoScalingTier(s, 'Web', { app: webApp, ...redundant(s) })],
  ])('%s', (_name, build) => {
    const stack = testStack();
    build(stack);
    expect(spofWarnings(Annotations.fromStack(stack))).toEqual([]);
  });

  // Nor does synth print anything.
  afterEach(() => expect(warnings.take()).toEqual([]));
});

describe('tiers 2-4 with default props', () => {
  // Their database is Multi-AZ; the default network's one NAT gateway is the single point left.
  test.each<[string, (s: Stack) => void]>([
    ['LoadBalancedTier', (s) => new LoadBalancedTier(s, 'Web', { app: webApp })],
    ['AutoScalingTier', (s) => new AutoScalingTier(s, 'Web', { app: webApp })],
    ['ManagedAutoScalingTier', (s) => new ManagedAutoScalingTier(s, 'Web', { app: webApp })],
  ])('%s: a Multi-AZ database, and only the NAT warning', (_name, build) => {
    const stack = testStack();
    build(stack);
    expect(spofWarnings(Annotations.fromStack(stack))).toEqual([`/Test/Web/Network ${SinglePointOfFailure.NAT}`]);
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true });
    expect(warnings.take()).toEqual([[SinglePointOfFailure.NAT]]);
  });
});

describe('Database multiAz', () => {
  test('false: single-AZ, and cdk-nag accepts it (RDS3 acknowledged with its reason)', () => {
    const app = testApp();
    const stack = new Stack(app, 'Nag');
    const network = new Network(stack, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ });
    new LoadBalancedTier(stack, 'Web', { app: webApp, network, database: new Database(stack, 'Db', { network, multiAz: false }) });
    addNagChecks(app);
    expect(() => app.synth()).not.toThrow();
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false });
    expect(warnings.take()).toEqual([[SinglePointOfFailure.SINGLE_AZ_DATABASE]]);
  });
});
