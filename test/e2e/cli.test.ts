// The CLI's refusals and checks as an operator meets them: fleet-mode configuration, pgvector, `doctor`,
// and the Node.js version guard of bin/lectern.js.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { testEnv } from '../harness/env.ts';
import { freePort } from '../harness/servers.ts';
import { adminQuery } from '../harness/test-app.ts';
import {
  killAllProcesses,
  login,
  register,
  rememberTempDir,
  removeTempDirs,
  request,
  runCli,
  startServe,
  templateDataDir,
  uniqueEmail,
} from './serve-process.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await killAllProcesses();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await removeTempDirs();
});

const secret = () => randomBytes(32).toString('base64url');
const SECRETS = { JWT_SECRET: secret(), URL_SIGNING_SECRET: secret() };

/** A database of its own, cloned from the migrated template on the harness PostgreSQL; dropped after. */
async function fleetDatabase(): Promise<string> {
  const server = testEnv().postgresUrl();
  const name = `lectern_e2e_${randomBytes(6).toString('hex')}`;
  await adminQuery(server, `create database ${name} template lectern_template`);
  cleanups.push(() => adminQuery(server, `drop database if exists ${name} with (force)`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return url.toString();
}

describe('lectern CLI: fleet mode', () => {
  it('serve refuses to start without JWT_SECRET', { timeout: 60_000 }, async () => {
    const result = await runCli(['serve'], {
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/lectern',
      URL_SIGNING_SECRET: SECRETS.URL_SIGNING_SECRET,
      PORT: '0',
    });
    expect(result.timedOut).toBe(false);
    expect(result, result.stderr).toMatchObject({ code: 1, signal: null });
    expect(result.stderr).toMatch(/^lectern: Missing JWT_SECRET/);
    expect(result.stderr).toContain('at least 32 bytes');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toContain('Lectern listening');
  });

  it(
    'serve with VECTOR_SEARCH=required (the default) on PostgreSQL without pgvector exits 1 and says what to do',
    { timeout: 90_000 },
    async () => {
      const result = await runCli(
        ['serve'],
        {
          DATABASE_URL: await fleetDatabase(),
          REDIS_URL: testEnv().redisUrl(),
          ...SECRETS,
          HOST: '127.0.0.1',
          PORT: String(await freePort()),
        },
        { deadlineMs: 60_000 },
      );
      expect(result.timedOut, `still running after 60 s; stdout: ${result.stdout}`).toBe(false);
      expect(result, result.stderr).toMatchObject({ code: 1, signal: null });
      expect(result.stderr).toContain('pgvector is not installed');
      expect(result.stderr).toContain('VECTOR_SEARCH=off');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stdout).not.toContain('Lectern listening');
    },
  );

  it(
    'serve with VECTOR_SEARCH=off, Redis and secrets starts; /health/ready shows vector disabled, redis up',
    { timeout: 120_000 },
    async () => {
      const server = await startServe({
        DATABASE_URL: await fleetDatabase(),
        REDIS_URL: testEnv().redisUrl(),
        VECTOR_SEARCH: 'off',
        DB_POOL_MIN: '0',
        DB_POOL_MAX: '5',
        ...SECRETS,
      });
      console.log(`[e2e cli] fleet serve ready, startupMs=${server.startupMs}`);
      expect(server.lines.find((l) => String(l.msg).startsWith('Lectern listening'))).toMatchObject({
        mode: 'fleet',
        engine: 'postgres',
      });

      const ready = await request(`${server.url}/health/ready`);
      expect(ready.status, ready.body).toBe(200);
      const { status, components } = ready.json as {
        status: string;
        components: { name: string; status: string; detail?: string }[];
      };
      expect(status).toBe('ready');
      const byName = new Map(components.map((c) => [c.name, c]));
      expect(byName.get('database')).toMatchObject({ status: 'up', detail: 'postgres' });
      expect(byName.get('vector')).toMatchObject({ status: 'disabled', detail: 'VECTOR_SEARCH=off' });
      expect(byName.get('redis')).toMatchObject({ status: 'up' });

      const email = uniqueEmail('fleet');
      await register(server.url, email, 'fleet mode password');
      expect((await login(server.url, email, 'fleet mode password')).status).toBe(200);

      expect(await server.stop('SIGTERM')).toMatchObject({ code: 0, timedOut: false });
      expect(server.lines.find((l) => l.msg === 'stopped')).toMatchObject({ shutdownMs: expect.any(Number) });
    },
  );
});

describe('lectern doctor', () => {
  it(
    'passes on a fresh embedded data dir, and on one that holds a database',
    { timeout: 90_000 },
    async () => {
      const fresh = path.join(
        rememberTempDir(await mkdtemp(path.join(os.tmpdir(), 'lectern-e2e-doctor-'))),
        'data',
      );
      const empty = await runCli(['doctor'], { DATA_DIR: fresh });
      expect(empty.timedOut).toBe(false);
      expect(empty, `${empty.stdout}\n${empty.stderr}`).toMatchObject({ code: 0, signal: null });
      expect(empty.stdout).toContain('✓ configuration valid (embedded mode)');
      expect(empty.stdout).toContain(`✓ data dir ${fresh} is writable`);
      expect(empty.stdout).toContain('All checks passed.');
      expect(empty.stdout).not.toContain('✗');

      const withDatabase = await templateDataDir();
      const full = await runCli(['doctor'], { DATA_DIR: withDatabase });
      expect(full.timedOut).toBe(false);
      expect(full, `${full.stdout}\n${full.stderr}`).toMatchObject({ code: 0, signal: null });
      expect(full.stdout).toMatch(/✓ embedded PostgreSQL \d+/);
      expect(full.stdout).not.toContain('✗');
      expect(existsSync(path.join(withDatabase, 'lectern.lock')), 'doctor released the lock').toBe(false);
    },
  );

  it('fails with a fix: line when DATABASE_URL points at a closed port', { timeout: 60_000 }, async () => {
    const port = await freePort(); // bound and released: nothing listens there
    const result = await runCli(['doctor'], { DATABASE_URL: `postgres://127.0.0.1:${port}/x`, ...SECRETS });
    expect(result.timedOut, result.stdout).toBe(false);
    expect(result, `${result.stdout}\n${result.stderr}`).toMatchObject({ code: 1, signal: null });
    expect(result.stdout).toContain('✓ configuration valid (fleet mode)');
    expect(result.stdout).toMatch(/✗ PostgreSQL unreachable/);
    expect(result.stdout).toMatch(/^ {4}fix: Check DATABASE_URL/m);
    expect(result.stdout).toMatch(/\d+ problem\(s\) found\./);
  });
});

describe('bin/lectern.js: Node.js version guard', () => {
  it(
    'refuses a Node.js older than 24 with a clear message, and runs on Node 24',
    { timeout: 60_000 },
    async () => {
      // The Node this suite runs on is the project's Node 24: the CLI runs.
      expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
      const help = await runCli(['--help'], {});
      expect(help, help.stderr).toMatchObject({ code: 0, signal: null });
      expect(help.stdout).toContain('Usage: lectern <command>');
      expect(help.stderr).not.toContain('Node.js 24');

      const systemNode = '/usr/bin/node';
      const version = existsSync(systemNode)
        ? execFileSync(systemNode, ['--version'], { encoding: 'utf8' }).trim()
        : undefined;
      const major = version ? Number(version.replace(/^v/, '').split('.')[0]) : undefined;
      console.log(`[e2e cli] ${systemNode}: ${version ?? 'not installed'}`);
      if (major !== undefined && major < 24) {
        const old = await runCli(['serve'], { PORT: '0' }, { node: systemNode });
        expect(old.timedOut).toBe(false);
        expect(old, old.stderr).toMatchObject({ code: 1, signal: null });
        expect(old.stderr).toContain('Node.js 24');
        expect(old.stderr).toContain(`this is ${version!}`);
        expect(old.stdout).toBe('');
      } else {
        // No older Node here: the guard must let this Node 24 through to the command itself.
        const viaNode = await runCli(
          ['serve', '--help'],
          {},
          { node: version ? systemNode : process.execPath },
        );
        expect(viaNode, viaNode.stderr).toMatchObject({ code: 0, signal: null });
        expect(viaNode.stderr).not.toContain('Node.js 24 or newer');
        expect(viaNode.stdout).toContain('Usage: lectern <command>');
      }
    },
  );
});
