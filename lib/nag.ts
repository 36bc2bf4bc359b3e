import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * The one place the project touches cdk-nag: registers the AwsSolutions pack as a
 * policy-validation plugin. Findings fail synthesis and are written to
 * cdk.out/validation-report.json; acknowledgements live next to the resources they concern.
 */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
