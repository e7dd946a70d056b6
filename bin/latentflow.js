#!/usr/bin/env node
// The `latentflow` command: registers the TypeScript loader (tsx), then runs bin/latentflow.ts.
import { register } from 'tsx/esm/api';

register();
await import('./latentflow.ts');
