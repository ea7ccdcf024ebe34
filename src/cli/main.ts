/**
 * `trainyard <command>`: the roles a process can take, and the admin commands.
 * Returns the exit code; long-running roles resolve when they have shut down.
 */
import { parseArgs } from 'node:util';
import { loadConfig, ConfigError } from '../shared/config.ts';
import { runService, type Role } from './service.ts';
import { keysCommand } from './keys.ts';
import { migrateCommand } from './migrate.ts';

const USAGE = `usage: trainyard <command>

  all                      API and a worker in one process (the default for \`npm start\`)
  api                      the REST API only
  worker                   a training worker only
  migrate                  apply database migrations and exit
  keys create --tenant NAME [--name LABEL]
                           create an API key; the key is printed on the last line
  keys list [--tenant NAME]
  keys revoke ID|PREFIX

configuration (environment):
  TRAINYARD_DATA_DIR  embedded database directory (default ./data)
  DATABASE_URL        use this Postgres instead of the embedded database
  REDIS_URL           put the queue on Redis (production)
  PORT, HOST          listener (default 3000, 127.0.0.1)
  TRAINYARD_API_KEY   register this key for the default tenant at start`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'all':
      case 'api':
      case 'worker':
        return await runService(command as Role, loadConfig());
      case 'migrate':
        return await migrateCommand(loadConfig());
      case 'keys':
        return await keysCommand(rest, loadConfig());
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`configuration error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

export { parseArgs };
