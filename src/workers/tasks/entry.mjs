// The Piscina task file. Node 20 does not apply `--import tsx` to worker
// threads, so the thread registers tsx itself and then loads the TypeScript
// tasks. Each export is a task, run by name (`pool.run(input, { name })`).
import { register } from 'tsx/esm/api';

register();
const tasks = await import('./entry.ts');

export const train = tasks.train;
export const gan = tasks.gan;
