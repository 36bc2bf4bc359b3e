import { lambdaNode } from './lambda-node';

/** Installs (once) the Node major Lambda runs; test files read its path from LAMBDA_NODE. */
export default function globalSetup(): void {
  process.env.LAMBDA_NODE = lambdaNode();
}
