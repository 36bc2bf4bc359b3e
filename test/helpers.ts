import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { sampleWebApp } from '../lib/app';

/** cdk.json's context (feature flags): test apps behave like `cdk synth`. */
export const PROJECT_CONTEXT: Record<string, unknown> =
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;

export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...PROJECT_CONTEXT, ...context } });
}

export function testStack(context: Record<string, unknown> = {}): Stack {
  return new Stack(testApp(context), 'Test');
}

export const webApp = sampleWebApp();

/** The text of the first (or only) instance's user data, tokens shown as `{Ref:X}` / `{GetAtt:X.Y}`. */
export function userDataText(template: Template): string {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
  const holder = Object.values(resources).find((r) =>
    (r.Type === 'AWS::EC2::Instance' && r.Properties.UserData) ||
    (r.Type === 'AWS::EC2::LaunchTemplate' && r.Properties.LaunchTemplateData?.UserData));
  if (!holder) throw new Error('no user data in template');
  const userData = holder.Properties.UserData ?? holder.Properties.LaunchTemplateData.UserData;
  return flatten(userData['Fn::Base64']);
}

function flatten(value: any): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Base64']) return flatten(value['Fn::Base64']);
  if (value['Fn::Sub']) return String(value['Fn::Sub']);
  if (value['Fn::Join']) return (value['Fn::Join'][1] as any[]).map(flatten).join(value['Fn::Join'][0]);
  if (value.Ref) return `{Ref:${value.Ref}}`;
  if (value['Fn::GetAtt']) return `{GetAtt:${value['Fn::GetAtt'].join('.')}}`;
  if (value['Fn::Select']) return `{Select:${JSON.stringify(value['Fn::Select'])}}`;
  return JSON.stringify(value);
}

/** Logical ids of the resources of a type. */
export function logicalIds(template: Template, type: string): string[] {
  return Object.keys(template.findResources(type));
}

/**
 * A template ready for a snapshot: asset hashes, the user-data hash that
 * userDataCausesReplacement appends to instance logical ids, and the code hash in a Lambda
 * function's `currentVersion` logical id become placeholders, in keys and values alike, so that
 * editing the app does not churn every snapshot.
 */
export function snapshotOf(template: Template): unknown {
  const text = JSON.stringify(template.toJSON())
    .replace(/[0-9a-f]{64}/g, '[ASSET-HASH]')
    .replace(/(Instance\d+[0-9A-F]{8})[0-9a-f]{16}\b/g, '$1[USER-DATA-HASH]')
    .replace(/(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}\b/g, '$1[CODE-HASH]');
  // With minimizePolicies, the order of a statement's resources follows their (masked) hashes:
  // sorted, it stays put when only a hash changes.
  return JSON.parse(text, (key, value) =>
    key === 'Resource' && Array.isArray(value) && value.every((v) => typeof v === 'string' || (v && typeof v === 'object'))
      ? [...value].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) : value);
}

/**
 * What a synthesized template must never carry where a value belongs: `null`, a token-encoded
 * number (aws-cdk-lib encodes an unresolved number as about -1.888e+289), a number that is not
 * finite, and strings that are an unresolved token, `[object Object]`, `undefined` or `NaN`. Each
 * finding is its JSON path and the value.
 */
export function templateDefects(template: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (node === null) found.push(`${at}: null`);
    else if (typeof node === 'number') {
      if (!Number.isFinite(node) || Math.abs(node) > 1e200) found.push(`${at}: ${node}`);
    } else if (typeof node === 'string') {
      // A token-encoded number, also after arithmetic turned it into another huge one (-1.7e+289).
      if (/\$\{Token\[|\[object Object\]|^undefined$|^NaN$|-?\d(\.\d+)?e\+2\d\d/.test(node)) found.push(`${at}: ${node.slice(0, 80)}`);
    } else if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${at}[${i}]`));
    else if (typeof node === 'object') for (const [k, v] of Object.entries(node as object)) walk(v, `${at}.${k}`);
  };
  walk(template, '$');
  return found;
}
