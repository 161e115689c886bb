/**
 * Regenerates `schemas/transcript.schema.json` from the zod schema:
 *   npx tsx packages/core/src/results/write-transcript-schema.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { TRANSCRIPT_JSON_SCHEMA_URL, transcriptJsonSchemaText } from './transcript-schema.js';

const path = fileURLToPath(TRANSCRIPT_JSON_SCHEMA_URL);
mkdirSync(dirname(path), { recursive: true });
writeFileSync(path, transcriptJsonSchemaText());
console.log(`wrote ${path}`);
