/** The Piscina task file: each export is a task, run by name (`pool.run(input, { name })`). */
export { train } from './train.ts';
export { gan } from './gan.ts';
