// A helper thread of ParallelTrainer. Node 20 does not apply `--import tsx` to worker
// threads, so the thread registers tsx itself and then loads the TypeScript helper.
import { register } from 'tsx/esm/api';

register();
await import('./helper.ts');
