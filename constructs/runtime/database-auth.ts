/**
 * The database password of a Lambda function, without a password anywhere: an IAM authentication
 * token for RDS Proxy, signed in the function's own process from the credentials Lambda gives it.
 *
 * The serverless tiers set `DATABASE_URL` to the proxy without a password
 * (`postgresql://webapp@<proxy>:5432/webapp?sslmode=verify-full`) and `WEB_TIERS_DATABASE_AUTH=iam`.
 * This module, loaded before the app, then puts a token in `PGPASSWORD`, the libpq variable that
 * `pg` reads for every new connection whose URL has no password; the handler re-signs it before
 * each request once it is 10 minutes old (a token admits new connections for 15 minutes; open
 * connections are not affected when it expires). Signing is local — SigV4 with node:crypto, no
 * network call, no SDK. At a cold start on Node 24 it costs about 15-19 ms of CPU, nearly all of
 * it loading node:crypto, which `pg` loads anyway for its first connection; the hashing itself is
 * under 2 ms (`npm run bench:database-auth`, next to @aws-sdk/rds-signer and a secret read).
 */

/** The credentials and clock of one signature. */
export interface TokenRequest {
  /** The proxy's (or database's) host name, as in `DATABASE_URL`. */
  readonly host: string;
  readonly port: number;
  /** The database user the token admits. */
  readonly user: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When it is signed. @default now */
  readonly now?: Date;
}

/** How long a token admits new connections: RDS accepts at most 15 minutes. */
export const TOKEN_LIFETIME_SECONDS = 900;
/** A token older than this is re-signed before the next request. */
export const TOKEN_REFRESH_MS = 10 * 60 * 1000;

type Crypto = typeof import('node:crypto');
/** node:crypto on first use: a function without a database never loads it. */
const crypto = (): Crypto => process.getBuiltinModule('node:crypto') as Crypto;

/** RFC 3986 encoding, as SigV4 requires: everything but unreserved characters. */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * An RDS IAM authentication token: the host, port and a SigV4-presigned query for the
 * `rds-db` service's `connect` action (what `@aws-sdk/rds-signer` makes, without the SDK).
 */
export function signAuthToken(r: TokenRequest): string {
  const { createHash, createHmac } = crypto();
  const now = r.now ?? new Date();
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = stamp.slice(0, 8);
  const scope = `${day}/${r.region}/rds-db/aws4_request`;
  const host = `${r.host}:${r.port}`;
  const params: Array<[string, string]> = [
    ['Action', 'connect'],
    ['DBUser', r.user],
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${r.accessKeyId}/${scope}`],
    ['X-Amz-Date', stamp],
    ['X-Amz-Expires', String(TOKEN_LIFETIME_SECONDS)],
    ...(r.sessionToken ? [['X-Amz-Security-Token', r.sessionToken] as [string, string]] : []),
    ['X-Amz-SignedHeaders', 'host'],
  ];
  const query = params.map(([k, v]) => [encode(k), encode(v)]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');
  const emptyBody = createHash('sha256').update('').digest('hex');
  const canonical = ['GET', '/', query, `host:${host}`, '', 'host', emptyBody].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = ['rds-db', 'aws4_request'].reduce<Buffer>((k, part) => hmac(k, part), hmac(hmac(`AWS4${r.secretAccessKey}`, day), r.region));
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  // In sorted place, as the SDK's signer puts it ('X-Amz-Sig…' sorts before 'X-Amz-SignedHeaders').
  return `${host}/?${query.replace('&X-Amz-SignedHeaders=', `&X-Amz-Signature=${signature}&X-Amz-SignedHeaders=`)}`;
}

let signedAt = 0;

/**
 * Signs a token into `PGPASSWORD` when the tier asked for IAM authentication and the last one is
 * older than {@link TOKEN_REFRESH_MS} (or there is none). A no-op otherwise; never throws: a
 * function that cannot sign logs why and lets the driver report the failed login.
 */
export function refreshDatabaseToken(env: NodeJS.ProcessEnv = process.env, now = Date.now()): void {
  if (env.WEB_TIERS_DATABASE_AUTH !== 'iam' || now - signedAt < TOKEN_REFRESH_MS) return;
  try {
    const url = new URL(env.DATABASE_URL ?? '');
    const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!url.hostname || !url.username || !region || !env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) {
      throw new Error('DATABASE_URL with a user and host, AWS_REGION and the function credentials are needed');
    }
    env.PGPASSWORD = signAuthToken({
      host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username), region,
      accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN,
      now: new Date(now),
    });
    signedAt = now;
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'could not sign a database token', error: (err as Error).message })}\n`);
  }
}

/** Forgets the last signature (tests). @internal */
export function _resetDatabaseToken(): void {
  signedAt = 0;
}

// Loaded before the app (the lambda bundle imports this module first), so a token is in place
// before any of the app's code runs.
refreshDatabaseToken();
