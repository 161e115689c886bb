import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { SymbolTable } from './symbol-table.js';

/** The real SenseVoiceSmall vocabulary shipped with the project's shared data. */
const REAL_TOKENS = '/work/shared/data/sensevoice/tokens.txt';

function parseError(text: string): AppError {
  try {
    SymbolTable.parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected SymbolTable.parse to throw');
}

describe('SymbolTable.parse', () => {
  it('maps ids and pieces both ways', () => {
    const t = SymbolTable.parse('<unk> 0\n<s> 1\n▁the 2\n');
    expect(t.size).toBe(3);
    expect(t.piece(2)).toBe('▁the');
    expect(t.id('<s>')).toBe(1);
    expect(t.id('missing')).toBeUndefined();
  });

  it('splits at the last space, accepts lines in any order, CRLF and blank lines', () => {
    const t = SymbolTable.parse('a b 1\r\n\r\n<unk> 0\r\n');
    expect(t.piece(1)).toBe('a b');
    expect(t.id('a b')).toBe(1);
    expect(t.size).toBe(2);
  });

  it('rejects an empty file', () => {
    expect(parseError('').code).toBe('MODEL_INVALID');
    expect(parseError('\n\n').message).toMatch(/no tokens/);
  });

  it('rejects duplicate ids and duplicate pieces', () => {
    expect(parseError('a 0\nb 0\n').message).toMatch(/line 2: duplicate id 0/);
    expect(parseError('a 0\na 1\n').message).toMatch(/duplicate piece "a"/);
  });

  it('rejects gaps in the ids', () => {
    const err = parseError('a 0\nb 2\n');
    expect(err.code).toBe('MODEL_INVALID');
    expect(err.details).toMatchObject({ missingId: 1 });
  });

  it('rejects malformed lines', () => {
    expect(parseError('a 0\nnoid\n').message).toMatch(/line 2/);
    expect(parseError(' 0\n').code).toBe('MODEL_INVALID');
    expect(parseError('a -1\n').code).toBe('MODEL_INVALID');
    expect(parseError('a 1.5\n').code).toBe('MODEL_INVALID');
  });

  it('throws MODEL_INVALID for an id outside the vocabulary', () => {
    const t = SymbolTable.parse('a 0\n');
    expect(() => t.piece(1)).toThrow(AppError);
    expect(() => t.piece(-1)).toThrow(/outside the vocabulary/);
  });
});

describe('SymbolTable.fromFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'earshot-symbols-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file', async () => {
    const path = join(dir, 'tokens.txt');
    await writeFile(path, '<unk> 0\n▁hi 1\n');
    const t = await SymbolTable.fromFile(path);
    expect(t.piece(1)).toBe('▁hi');
  });

  it('reports a missing file as MODEL_NOT_FOUND and a bad one as MODEL_INVALID with the path', async () => {
    await expect(SymbolTable.fromFile(join(dir, 'nope.txt'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, 'x 1\n');
    await expect(SymbolTable.fromFile(bad)).rejects.toMatchObject({ code: 'MODEL_INVALID', message: expect.stringContaining(bad) });
  });

  it.skipIf(!existsSync(REAL_TOKENS))('loads the real SenseVoiceSmall vocabulary with the FunASR anchor ids', async () => {
    const t = await SymbolTable.fromFile(REAL_TOKENS);
    expect(t.size).toBe(25055);
    expect(t.piece(0)).toBe('<unk>');
    expect(t.piece(3)).toBe('▁the');
    const anchors: Record<string, number> = {
      '<|zh|>': 24884,
      '<|en|>': 24885,
      '<|yue|>': 24888,
      '<|ja|>': 24892,
      '<|ko|>': 24896,
      '<|nospeech|>': 24992,
      '<|Speech|>': 24993,
      '<|HAPPY|>': 25001,
      '<|NEUTRAL|>': 25004,
      '<|EMO_UNKNOWN|>': 25009,
      '<|withitn|>': 25016,
      '<|woitn|>': 25017,
      '<|Event_UNK|>': 25019,
      '<|SPECIAL_TOKEN_35|>': 25054,
    };
    for (const [piece, id] of Object.entries(anchors)) expect(t.id(piece)).toBe(id);
  });
});
