import { references } from '../review/assembly';

export { references };

/**
 * Reading a synthesized CloudFormation template: what references what, and the values the
 * estimator needs as plain numbers and strings (a deploy-time token reads as undefined).
 */
export interface CfnTemplate {
  readonly Resources?: { readonly [logicalId: string]: CfnResourceJson };
  readonly Mappings?: { readonly [name: string]: any };
}

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: any;
  readonly Metadata?: any;
}

/** A number, or a numeric string as CloudFormation takes them ("2"); undefined for a token. */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/** A plain string; undefined for a token. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A list as written in the template; undefined for a token (`Ref` to a list parameter, `Fn::If`, …). */
export function arr(value: unknown): any[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** True for a value written literally (not a `Ref`, `Fn::*` or other intrinsic). */
export function isToken(value: unknown): boolean {
  return !!value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).some((k) => k === 'Ref' || k.startsWith('Fn::'));
}

/** The logical id a `Ref` or `Fn::GetAtt` points to. */
export function refTarget(value: unknown): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof getAtt === 'string') return getAtt.split('.')[0];
  return undefined;
}

/** The template with its cross-references indexed. */
export class TemplateIndex {
  public readonly resources: ReadonlyArray<[string, CfnResourceJson]>;
  public readonly mappings: Record<string, unknown>;
  private readonly byId = new Map<string, CfnResourceJson>();
  private readonly referrers = new Map<string, string[]>();

  constructor(template: CfnTemplate) {
    this.resources = Object.entries(template.Resources ?? {});
    this.mappings = (template.Mappings ?? {}) as Record<string, unknown>;
    for (const [id, r] of this.resources) this.byId.set(id, r);
    for (const [id, r] of this.resources) {
      for (const target of references(r.Properties)) {
        if (!this.referrers.has(target)) this.referrers.set(target, []);
        this.referrers.get(target)!.push(id);
      }
    }
  }

  public get(id: string | undefined): CfnResourceJson | undefined {
    return id === undefined ? undefined : this.byId.get(id);
  }

  public ofType(...types: string[]): Array<[string, CfnResourceJson]> {
    return this.resources.filter(([, r]) => types.includes(r.Type));
  }

  /** Resources whose properties reference `id`. */
  public referrersOf(id: string, ...types: string[]): string[] {
    return (this.referrers.get(id) ?? []).filter((r) => types.length === 0 || types.includes(this.byId.get(r)!.Type));
  }

  /** The function behind a function, alias or version reference. */
  public functionOf(id: string | undefined): string | undefined {
    const r = this.get(id);
    if (!r) return undefined;
    if (r.Type === 'AWS::Lambda::Function') return id;
    if (r.Type === 'AWS::Lambda::Alias' || r.Type === 'AWS::Lambda::Version') return this.functionOf(refTarget(r.Properties?.FunctionName));
    return undefined;
  }
}

/** Elastic Beanstalk option settings by `namespace:OptionName`. */
export function beanstalkOptions(r: CfnResourceJson): Map<string, unknown> {
  const options = new Map<string, unknown>();
  for (const o of arr(r.Properties?.OptionSettings) ?? []) if (o && typeof o === 'object') options.set(`${o.Namespace}:${o.OptionName}`, o.Value);
  return options;
}
