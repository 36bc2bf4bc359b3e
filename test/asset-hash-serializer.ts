// Rewrites 64-hex asset hashes to a placeholder, so that editing one bundle does not
// churn every snapshot; the fine-grained assertions carry the behaviour.
const HASH = /[0-9a-f]{64}/g;

export function test(value: unknown): boolean {
  return typeof value === 'string' && /[0-9a-f]{64}/.test(value);
}

export function serialize(value: string): string {
  return JSON.stringify(value.replace(HASH, '[ASSET-HASH]'));
}
