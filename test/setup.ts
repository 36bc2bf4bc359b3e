// aws-cdk-lib runs its bundled CloudFormation validator on every synth (~2 s each).
// Tests skip it; test/app.test.ts turns it back on to synthesize every environment once.
process.env.CDK_VALIDATION = 'false';
