import { parseArgs } from 'node:util';

const [major] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 24) {
  process.stderr.write(
    `Lectern needs Node.js 24 or newer; this is ${process.version}. ` +
      'Run it through npm (`npm start`), which uses the Node 24 installed with the dependencies.\n',
  );
  process.exit(1);
}

const USAGE = `Usage: lectern <command>

  serve              start the HTTP API (embedded mode also runs the job workers)
  worker             start job workers (fleet mode)
  migrate            apply database migrations and exit
  doctor             check configuration and dependencies, and say how to fix what is wrong
  backup [--out F]   write a SQL dump of the embedded database
  restore <file>     load a SQL dump into an empty DATA_DIR
  seed [--scale small|medium|large] [--users N] [--password P]
                     create demo users and documents, processed by the real pipeline (idempotent)
  embeddings use <model> [--dims N]
                     switch the embedding model without downtime (re-embeds in the background)
  embeddings status  list the embedding spaces and the re-embed's progress

Configuration comes from environment variables (and ./.env); see README.md.
`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    scale: { type: 'string' },
    users: { type: 'string' },
    password: { type: 'string' },
    dims: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
const [command, ...rest] = positionals;

async function run(): Promise<number> {
  switch (values.help ? 'help' : command) {
    case 'serve':
      return (await import('./cli/serve.ts')).serve();
    case 'worker':
      return (await import('./cli/worker.ts')).worker();
    case 'migrate':
      return (await import('./cli/migrate.ts')).migrateCommand();
    case 'doctor':
      return (await import('./cli/doctor.ts')).doctor();
    case 'backup':
      return (await import('./cli/backup.ts')).backup(values.out);
    case 'restore':
      return (await import('./cli/backup.ts')).restore(rest[0]);
    case 'seed':
      return (await import('./cli/seed.ts')).seed(values);
    case 'embeddings':
      return (await import('./cli/embeddings.ts')).embeddings(rest, values);
    case 'help':
    case undefined:
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

// Exit explicitly once the command is done: V8 may still be tiering up PGlite's WebAssembly in background
// threads, which otherwise keeps a finished one-shot command (backup, doctor) alive for seconds.
process.exit(await run());
