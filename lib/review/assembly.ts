import * as fs from 'node:fs';
import * as path from 'node:path';

/** A CloudFormation template as synthesized. */
export interface Template {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string; Metadata?: Record<string, any> }>;
  readonly Outputs?: Record<string, { Value: unknown; Description?: string }>;
  readonly [key: string]: unknown;
}

/** One stack of a cloud assembly. */
export interface AssemblyStack {
  /** The artifact id, e.g. 'WebTiers-prod'. */
  readonly name: string;
  readonly template: Template;
}

/** The stacks of a cloud assembly folder (cdk.out), from its manifest. */
export function readAssembly(dir: string): AssemblyStack[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) throw new Error(`no cloud assembly at '${dir}' (manifest.json missing): run 'npx cdk synth' or pass --synth`);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }> };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, a]) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map(([name, a]) => ({ name, template: JSON.parse(fs.readFileSync(path.join(dir, a.properties!.templateFile!), 'utf8')) as Template }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A CloudFormation value as a reviewer reads it: Ref X → X, GetAtt X.Y → X.Y, joins joined. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(show).join(', ');
  const v = value as Record<string, any>;
  if ('Ref' in v) return String(v.Ref).startsWith('AWS::') ? `\${${v.Ref}}` : String(v.Ref);
  if ('Fn::GetAtt' in v) return (Array.isArray(v['Fn::GetAtt']) ? v['Fn::GetAtt'] : String(v['Fn::GetAtt']).split('.')).join('.');
  if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(show).join(v['Fn::Join'][0]);
  if ('Fn::Sub' in v) return Array.isArray(v['Fn::Sub']) ? String(v['Fn::Sub'][0]) : String(v['Fn::Sub']);
  if ('Fn::Select' in v) return `${show(v['Fn::Select'][1])}[${show(v['Fn::Select'][0])}]`;
  if ('Fn::GetAZs' in v) return 'AZs';
  if ('Fn::FindInMap' in v) return `map(${(v['Fn::FindInMap'] as unknown[]).map(show).join('.')})`;
  if ('Fn::If' in v) return `if ${v['Fn::If'][0]}: ${show(v['Fn::If'][1])} else ${show(v['Fn::If'][2])}`;
  if ('Fn::ImportValue' in v) return `import(${show(v['Fn::ImportValue'])})`;
  return JSON.stringify(v);
}

/** Logical ids a value refers to (Ref, GetAtt, Sub). */
export function references(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) references(v, into);
  } else if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if (typeof v.Ref === 'string' && !v.Ref.startsWith('AWS::')) into.add(v.Ref);
    if (v['Fn::GetAtt']) into.add(Array.isArray(v['Fn::GetAtt']) ? v['Fn::GetAtt'][0] : String(v['Fn::GetAtt']).split('.')[0]);
    if (typeof v['Fn::Sub'] === 'string') for (const m of v['Fn::Sub'].matchAll(/\$\{([A-Za-z0-9]+)(\.[A-Za-z0-9.]+)?\}/g)) into.add(m[1]);
    for (const child of Object.values(v)) references(child, into);
  }
  return into;
}

/** Escapes a value for a markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
