import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const secret = 'x'.repeat(32);
const fleet = { DATABASE_URL: 'postgres://db/lectern', JWT_SECRET: secret, URL_SIGNING_SECRET: secret };

describe('loadConfig', () => {
  it('runs embedded on 127.0.0.1 with the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      mode: 'embedded',
      host: '127.0.0.1',
      port: 3000,
      db: { poolMin: 5, poolMax: 20, busyTimeoutMs: 5000, slowQueryMs: 500, vectorSearch: 'required' },
      http: {
        bodyLimitBytes: 10 * 1024 * 1024,
        trustProxy: false,
        shutdownTimeoutMs: 10_000,
        overloadProtection: true,
      },
    });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.secrets).toEqual({ jwt: undefined, urlSigning: undefined });
  });

  it('runs as a fleet process when DATABASE_URL is set, binding all interfaces unless HOST says otherwise', () => {
    expect(loadConfig(fleet)).toMatchObject({ mode: 'fleet', host: '0.0.0.0', secrets: { jwt: secret } });
    expect(loadConfig({ ...fleet, HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
    expect(loadConfig({ ...fleet, VECTOR_SEARCH: 'off' }).db.vectorSearch).toBe('off');
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid PORT="eighty"/],
    [{ PORT: '70000' }, /^Invalid PORT="70000"/],
    [{ DB_POOL_MAX: '0' }, /^Invalid DB_POOL_MAX/],
    [{ DB_POOL_MIN: '30' }, /^Invalid DB_POOL_MIN=30: must not exceed DB_POOL_MAX=20/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid LOG_LEVEL="loud"/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid DATABASE_URL/],
    [{ REDIS_URL: 'localhost:6379' }, /^Invalid REDIS_URL/],
    [{ VECTOR_SEARCH: 'maybe' }, /^Invalid VECTOR_SEARCH/],
    [{ OVERLOAD_PROTECTION: 'yes' }, /^Invalid OVERLOAD_PROTECTION/],
    [{ ...fleet, JWT_SECRET: 'short' }, /^Invalid JWT_SECRET/],
    [{ DATABASE_URL: 'postgres://db/x' }, /^Missing JWT_SECRET: fleet mode/],
    [{ DATABASE_URL: 'postgres://db/x', JWT_SECRET: secret }, /^Missing URL_SIGNING_SECRET/],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('names a bad secret or URL without echoing its value', () => {
    expect(() => loadConfig({ ...fleet, JWT_SECRET: 'hunter2' })).toThrow(/^Invalid JWT_SECRET: /);
    expect(() => loadConfig({ ...fleet, JWT_SECRET: 'hunter2' })).not.toThrow(/hunter2/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://app:pa55word@db/x' })).not.toThrow(/pa55word/);
  });

  it('parses TRUST_PROXY as a flag, a hop count or an address list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).http.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    const hops = loadConfig({ TRUST_PROXY: '2' }).http.trustProxy as (
      address: string,
      hop: number,
    ) => boolean;
    expect([0, 1, 2].map((hop) => hops('10.0.0.1', hop))).toEqual([true, true, false]);
  });

  it('normalises ADMIN_EMAILS and CORS_ORIGINS lists', () => {
    const config = loadConfig({
      ADMIN_EMAILS: ' Boss@Example.com ,ops@example.com',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect([...config.auth.adminEmails]).toEqual(['boss@example.com', 'ops@example.com']);
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});
