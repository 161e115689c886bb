import { readFile } from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';

/**
 * The model vocabulary: id ↔ SentencePiece piece, read from a sherpa-onnx `tokens.txt`
 * (`<piece> <id>` per line, pieces keep U+2581 `▁`). Ids must be dense (0 … size−1)
 * because the decoder's ids are logits columns.
 */
export class SymbolTable {
  readonly #pieces: readonly string[];
  readonly #ids: ReadonlyMap<string, number>;

  private constructor(pieces: readonly string[], ids: ReadonlyMap<string, number>) {
    this.#pieces = pieces;
    this.#ids = ids;
  }

  /** Number of pieces (= vocabulary size = logits width for a matching model). */
  get size(): number {
    return this.#pieces.length;
  }

  /** The piece for `id`; throws MODEL_INVALID when the id is outside the vocabulary. */
  piece(id: number): string {
    const p = this.#pieces[id];
    if (p === undefined) {
      throw new AppError('MODEL_INVALID', `token id ${id} is outside the vocabulary (size ${this.size})`, {
        details: { id, size: this.size },
      });
    }
    return p;
  }

  /** The id of `piece`, or undefined when the vocabulary has no such piece. */
  id(piece: string): number | undefined {
    return this.#ids.get(piece);
  }

  /**
   * Parses tokens.txt text. Each line splits at its LAST space, so the id is always the
   * final field (robust to pieces containing spaces). Blank lines are ignored; a
   * trailing `\r` is dropped.
   * @throws AppError MODEL_INVALID on an empty table, a malformed line, a duplicate id or
   *   piece, or a gap in the ids.
   */
  static parse(text: string, source = 'tokens.txt'): SymbolTable {
    const byId = new Map<number, string>();
    const ids = new Map<string, number>();
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      const line = (lines[n] as string).replace(/\r$/, '');
      if (line.length === 0) continue;
      const at = line.lastIndexOf(' ');
      const piece = at > 0 ? line.slice(0, at) : '';
      const idText = at > 0 ? line.slice(at + 1) : '';
      const fail = (why: string): never => {
        throw new AppError('MODEL_INVALID', `${source} line ${n + 1}: ${why}`, { details: { source, line: n + 1 } });
      };
      if (piece === '' || !/^\d+$/.test(idText)) fail(`expected "<piece> <id>", got ${JSON.stringify(line)}`);
      const id = Number(idText);
      if (!Number.isSafeInteger(id)) fail(`id ${idText} is too large`);
      if (byId.has(id)) fail(`duplicate id ${id} (also "${byId.get(id)}")`);
      if (ids.has(piece)) fail(`duplicate piece ${JSON.stringify(piece)} (also id ${ids.get(piece)})`);
      byId.set(id, piece);
      ids.set(piece, id);
    }
    if (byId.size === 0) throw new AppError('MODEL_INVALID', `${source} holds no tokens`, { details: { source } });
    const pieces: string[] = [];
    for (let id = 0; id < byId.size; id++) {
      const p = byId.get(id);
      if (p === undefined) {
        throw new AppError('MODEL_INVALID', `${source}: ids are not dense, id ${id} is missing (${byId.size} tokens)`, {
          details: { source, missingId: id },
        });
      }
      pieces.push(p);
    }
    return new SymbolTable(pieces, ids);
  }

  /**
   * Reads and parses a tokens.txt file.
   * @throws AppError MODEL_NOT_FOUND when the file does not exist, MODEL_INVALID otherwise.
   */
  static async fromFile(path: string): Promise<SymbolTable> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'MODEL_NOT_FOUND' : 'MODEL_INVALID';
      throw new AppError(code, `cannot read vocabulary ${path}: ${(err as Error).message}`, { cause: err });
    }
    return SymbolTable.parse(text, path);
  }
}
