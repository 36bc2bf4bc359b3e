#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addEnvironmentStacks } from '../lib/app';
import { addNagChecks } from '../lib/nag';

// One stack per environment; `cdk synth` builds them all, `cdk deploy -c env=prod` just one.
const app = new App();
addEnvironmentStacks(app);
addNagChecks(app);
