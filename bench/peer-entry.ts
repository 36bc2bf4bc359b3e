// The same sample app as a user would write it for NodejsFunction: Hono's own Lambda adapter.
import { handle } from 'hono/aws-lambda';
import app from '../webapp/src/app';

export const handler = handle(app);
