import { App, Aspects, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Size } from 'aws-cdk-lib';
import { Database, Network, SinglePointOfFailure, StatefulDataGuard } from '../constructs';
import { removedStatefulResources, statefulResources } from '../constructs/shared/stateful';
import { addEnvironmentStacks } from '../lib/app';
import { ENVIRONMENTS, TIERS } from '../lib/config';
import { PROJECT_CONTEXT, webApp } from './helpers';
import { captureSynthWarnings } from './synth-warnings';

// Tier 1 warns of its one instance; a default network (staging's, and the ones made here) of its NAT gateway.
captureSynthWarnings(SinglePointOfFailure.SINGLE_INSTANCE, SinglePointOfFailure.NAT);

function guarded(build: (stack: Stack) => void): () => void {
  return () => {
    const app = new App({ context: PROJECT_CONTEXT });
    const stack = new Stack(app, 'Prod');
    build(stack);
    Aspects.of(stack).add(new StatefulDataGuard());
    app.synth();
  };
}

describe('StatefulDataGuard', () => {
  test.each(TIERS)('%s with prod settings keeps all its data', (tier) => {
    const app = new App({ context: PROJECT_CONTEXT });
    const [stack] = addEnvironmentStacks(app, { prod: { ...ENVIRONMENTS.prod, tier } }, webApp);
    expect(() => app.synth()).not.toThrow();
    expect(statefulResources(Template.fromStack(stack).toJSON()).length).toBeGreaterThan(0);
  });

  test.each<[string, (s: Stack) => void, RegExp]>([
    ['a database that would be deleted', (s) => new Database(s, 'Db', { network: new Network(s, 'Net'), removalPolicy: RemovalPolicy.DESTROY }),
      /AWS::RDS::DBInstance Prod\/Db\/Instance\/Resource would lose its data outside development: DeletionPolicy is Delete.*UpdateReplacePolicy is Delete.*DeletionProtection is not on/],
    ['a table without deletion protection', (s) => new dynamodb.Table(s, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.RETAIN }),
      /AWS::DynamoDB::Table Prod\/T\/Resource would lose its data.*DeletionProtectionEnabled is not on/],
    ['a global table that would be deleted', (s) => new dynamodb.TableV2(s, 'G', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, removalPolicy: RemovalPolicy.DESTROY }),
      /AWS::DynamoDB::GlobalTable .*DeletionPolicy is Delete.*Replicas\[\]\.DeletionProtectionEnabled is not on/],
    ['a data volume that would be deleted', (s) => new ec2.Volume(s, 'V', { availabilityZone: 'eu-west-1a', size: Size.gibibytes(10), removalPolicy: RemovalPolicy.DESTROY }),
      /AWS::EC2::Volume .*DeletionPolicy is Delete/],
    ['a bucket that would be deleted', (s) => new s3.Bucket(s, 'B', { removalPolicy: RemovalPolicy.DESTROY }), /AWS::S3::Bucket Prod\/B\/Resource would lose its data/],
    ['a user pool without deletion protection', (s) => new cognito.UserPool(s, 'U', { removalPolicy: RemovalPolicy.RETAIN }), /AWS::Cognito::UserPool .*DeletionProtection is not on/],
  ])('fails synth for %s', (_name, build, message) => {
    expect(guarded(build)).toThrow(message);
  });

  test('a resource exempted with a reason passes; an exemption needs a reason', () => {
    expect(guarded((s) => StatefulDataGuard.exempt(new s3.Bucket(s, 'Scratch', { removalPolicy: RemovalPolicy.DESTROY }), 'build scratch space, recreated by CI'))).not.toThrow();
    expect(() => StatefulDataGuard.exempt(new Stack(), '')).toThrow(/give the reason/);
  });

  test('it is on in every stack outside dev, off in dev', () => {
    const app = new App({ context: PROJECT_CONTEXT });
    const stacks = addEnvironmentStacks(app, ENVIRONMENTS, webApp);
    expect(stacks.map((s) => Aspects.of(s).all.some((a) => a instanceof StatefulDataGuard))).toEqual([false, true, true]);
  });
});

describe('stateful logical ids', () => {
  test('per environment (a change shows in the snapshot diff of a pull request)', () => {
    const app = new App({ context: PROJECT_CONTEXT });
    const ids = Object.fromEntries(addEnvironmentStacks(app, ENVIRONMENTS, webApp)
      .map((s) => [s.stackName, statefulResources(Template.fromStack(s).toJSON())]));
    expect(ids).toMatchSnapshot();
  });

  test('renaming a construct that holds data is detected as a replacement', () => {
    const template = (id: string) => {
      const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'Prod');
      new Database(stack, id, { network: new Network(stack, 'Net') });
      return Template.fromStack(stack).toJSON();
    };
    const before = template('Database');
    expect(removedStatefulResources(before, template('Database'))).toEqual([]);
    expect(removedStatefulResources(before, template('Db'))).toEqual([{ logicalId: expect.stringMatching(/^DatabaseInstance/), type: 'AWS::RDS::DBInstance' }]);
  });
});
