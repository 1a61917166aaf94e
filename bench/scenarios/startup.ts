import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerSpec } from '../lib/servers.ts';
import { defineTimedScenario, type Measurement } from './scenario.ts';

const STARTS = 3;
/** After ready, before reading the RSS: lets start-up garbage and timers settle into the idle footprint. */
const SETTLE_MS = 2000;

/** Resident set size of a process in MiB, from /proc/<pid>/status (Linux). */
async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!kib) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kib[1]) / 1024;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A fresh install: an empty data dir (embedded) or database (fleet), migrated during start-up. */
const LECTERN: ServerSpec = { kind: 'lectern', dataset: { kind: 'empty' } };

export const startup = defineTimedScenario({
  name: 'startup',
  description:
    `Starts \`lectern serve\` ${STARTS} times on fresh data (an empty data dir or database, migrations run): ms from ` +
    `spawn to /health/ready answering 200, and the serve process's RSS ${SETTLE_MS / 1000} s after ready ` +
    '(fleet: the worker process not counted); the bare Fastify ceiling process for comparison.',
  server: LECTERN, // shared with health and me; measured on servers of the scenario's own
  async measure({ startServer, signal }) {
    const ceiling = await startServer({ kind: 'ceiling' });
    await sleep(SETTLE_MS, undefined, { signal });
    const floor = await rssMiB(ceiling.child.pid);
    await ceiling.child.stop();
    const readyMs: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < STARTS; i++) {
      const server = await startServer(LECTERN);
      try {
        readyMs.push(server.readyMs);
        await sleep(SETTLE_MS, undefined, { signal });
        rss.push(await rssMiB(server.child.pid));
      } finally {
        await server.child.stop();
      }
    }
    const figures: Measurement[] = [
      { label: 'spawn → /health/ready: median', value: median(readyMs), unit: 'ms' },
      { label: 'spawn → /health/ready: slowest', value: Math.max(...readyMs), unit: 'ms' },
      { label: 'idle RSS after ready: median', value: median(rss), unit: 'MiB' },
      { label: 'ceiling process idle RSS', value: floor, unit: 'MiB' },
    ];
    return figures;
  },
});
