import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TRANSCRIPT_JSON_SCHEMA_URL, transcriptJsonSchemaText, transcriptSchema } from './transcript-schema.js';

describe('transcript JSON Schema', () => {
  it('is committed up to date', () => {
    const path = fileURLToPath(TRANSCRIPT_JSON_SCHEMA_URL);
    const committed = readFileSync(path, 'utf8');
    expect(
      committed,
      `${path} is stale: regenerate it with \`npx tsx packages/core/src/results/write-transcript-schema.ts\``,
    ).toBe(transcriptJsonSchemaText());
  });

  it('describes the document (required fields, nullable tags, optional notice)', () => {
    const schema = JSON.parse(transcriptJsonSchemaText()) as {
      required: string[];
      properties: Record<string, { type?: unknown; const?: unknown }>;
    };
    expect(schema.required).toContain('segments');
    expect(schema.required).not.toContain('notice');
    expect(schema.properties.schemaVersion?.const).toBe('1.2');
    expect(schema.properties.language?.type).toEqual(['string', 'null']);
  });

  it('rejects documents of another schema version or with bad values', () => {
    expect(transcriptSchema.safeParse({}).success).toBe(false);
    const shape = transcriptSchema.shape;
    expect(shape.schemaVersion.safeParse('2.0').success).toBe(false);
    expect(shape.summary.shape.speechRatio.safeParse(1.5).success).toBe(false);
    expect(shape.options.shape.language.safeParse('fr').success).toBe(false);
  });
});
