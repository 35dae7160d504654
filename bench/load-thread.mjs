// Worker entry: Node 20 does not run a worker's .ts entry under tsx, so register tsx here, then load the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./load-thread.ts');
