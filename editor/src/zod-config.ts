/**
 * zod compiles object parsers with Function() when it may. The editor's Content-Security-Policy forbids
 * eval, and even zod's probe for it is reported as a violation, so the editor parses without it. This
 * module is main.tsx's first import: modules that parse while they load run after it.
 */
import { z } from 'zod';

z.config({ jitless: true });
