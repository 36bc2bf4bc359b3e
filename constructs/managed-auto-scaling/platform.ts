import * as path from 'node:path';
import { CustomResource, CustomResourceProvider, CustomResourceProviderRuntime, Duration } from 'aws-cdk-lib';
import { handlerBundle } from '../shared/handler-bundle';
import { Construct } from 'constructs';
import { acknowledgeInherentFindings } from '../shared/compliance';
import { checkSpec, integer, literal, type Spec, withoutNulls } from '../shared/checks';
import { INSTANCE_NODE_MAJOR } from '../shared/server-bootstrap';
import { WebTiersValidationError } from '../shared/validation';

/** One provider (function and role) per stack, whatever the number of NodePlatforms. */
const PROVIDER_ID = 'Custom::WebTiersNodePlatform';

/** Props of {@link NodePlatform}. */
export interface NodePlatformProps {
  /**
   * The Node.js major of the platform branch (`Node.js <major> running on 64bit Amazon Linux 2023`).
   * @default - INSTANCE_NODE_MAJOR (24), the Node.js major the other server tiers install
   */
  readonly nodeMajor?: number;
}

/** The Node.js major goes into the branch's name: known at synth. */
const NODE_MAJOR = literal(integer(20, 99));

/** The runtime checks of NodePlatform's props. */
export const NODE_PLATFORM_SPEC: Spec = { nodeMajor: NODE_MAJOR };

/**
 * The newest `Ready` platform version of an Elastic Beanstalk Node.js branch on Amazon Linux 2023,
 * resolved at deploy time by a custom resource (`elasticbeanstalk:ListPlatformVersions`), so no
 * platform version that AWS has since retired is written into the template.
 *
 * The version is resolved when the resource is created and again only when the branch changes:
 * later deploys keep it, so a deploy never upgrades the platform (managed platform updates do).
 */
export class NodePlatform extends Construct {
  /** The branch name Beanstalk gives the Node.js platform of a major on Amazon Linux 2023. */
  public static branchName(nodeMajor: number): string {
    if (nodeMajor === undefined || nodeMajor === null) {
      throw new WebTiersValidationError(undefined, 'NodePlatform.branchName(nodeMajor)', `is required; accepted: ${NODE_MAJOR.accepted}`);
    }
    NODE_MAJOR.validate(nodeMajor, { scope: undefined, prop: 'NodePlatform.branchName(nodeMajor)' });
    return `Node.js ${nodeMajor} running on 64bit Amazon Linux 2023`;
  }

  /** The platform branch this resolves. */
  public readonly branch: string;
  /** The ARN of the platform version (a token; the custom resource's `Ref`). */
  public readonly platformArn: string;
  /** The custom resource; its physical id, and so its `Ref`, is the platform ARN. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: NodePlatformProps = {}) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    super(scope, id);
    checkSpec(this, props as unknown as Record<string, unknown>, NODE_PLATFORM_SPEC);
    this.branch = NodePlatform.branchName(props.nodeMajor ?? INSTANCE_NODE_MAJOR);

    const provider = CustomResourceProvider.getOrCreateProvider(this, PROVIDER_ID, {
      codeDirectory: platformHandlerDirectory(),
      runtime: CustomResourceProviderRuntime.NODEJS_24_X,
      timeout: Duration.minutes(1),
      description: 'Resolves the newest Ready Elastic Beanstalk platform version of a branch (cdk-web-tiers NodePlatform)',
      // ListPlatformVersions has no resource-level permissions: its resource is always '*'.
      policyStatements: [{ Effect: 'Allow', Action: ['elasticbeanstalk:ListPlatformVersions'], Resource: '*' }],
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::NodePlatform',
      properties: { Branch: this.branch },
    });
    this.platformArn = this.resource.ref;
    // The provider's role and function are raw CfnResources, which cdk-nag's AwsSolutions, HIPAA and
    // NIST rules (written against CfnRole, CfnFunction) do not inspect; the Guard rules read the
    // template, and their inherent Lambda findings are acknowledged here.
    acknowledgeInherentFindings(this);
  }
}

const HANDLER_DIR = path.join(__dirname, 'platform-handler');
/** The custom resource's code: the handler bundled (see handlerBundle). */
export function platformHandlerDirectory(): string {
  return handlerBundle(HANDLER_DIR, 'node-platform');
}
