/**
 * What a benchmark part returns (figures with their targets, the conditions they were taken in,
 * the raw runs) and how the harness prints it.
 */

export const PART_NAMES = ['model', 'pipeline', 'frontend', 'service', 'coldstart', 'memory'] as const;
export type PartName = (typeof PART_NAMES)[number];

/** A figure must satisfy `value <op> target`. */
export interface Target {
  op: '>=' | '<=' | '<';
  value: number;
}

export interface Figure {
  name: string;
  value: number | null;
  unit: string;
  target?: Target;
  /** How the figure was formed ("median of 3 runs", "median of 60 pair ratios"). */
  how?: string;
}

export interface PartResult {
  part: PartName;
  title: string;
  /** Model, threads, files, runs… everything needed to read the figures. */
  conditions: Record<string, unknown>;
  figures: Figure[];
  /** Anything the reader must know (a skipped variant, a quick-mode caveat). */
  notes: string[];
  /** Every run's raw measurement. */
  runs: unknown;
}

/** true/false when the figure has a target and a value; null otherwise. */
export function meets(figure: Figure): boolean | null {
  if (!figure.target || figure.value === null || !Number.isFinite(figure.value)) return null;
  const { op, value } = figure.target;
  if (op === '>=') return figure.value >= value;
  if (op === '<=') return figure.value <= value;
  return figure.value < value;
}

function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

/** A Markdown table of every part's figures: value, target, whether it is met. */
export function formatTable(results: readonly PartResult[]): string {
  const lines = ['| part | figure | value | target | met |', '|---|---|---|---|---|'];
  for (const r of results) {
    for (const f of r.figures) {
      const met = meets(f);
      const target = f.target ? `${f.target.op} ${formatValue(f.target.value, f.unit)}` : '';
      lines.push(`| ${r.part} | ${f.name}${f.how ? ` (${f.how})` : ''} | ${formatValue(f.value, f.unit)} | ${target} | ${met === null ? '' : met ? 'yes' : '**no**'} |`);
    }
  }
  return lines.join('\n');
}

/** Each part's conditions and notes, one block per part. */
export function formatConditions(results: readonly PartResult[]): string {
  return results
    .map((r) => {
      const conditions = Object.entries(r.conditions)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join('; ');
      return [`${r.part}: ${r.title}`, `  ${conditions}`, ...r.notes.map((n) => `  note: ${n}`)].join('\n');
    })
    .join('\n');
}

export const FULL_MODEL_VARIANTS = ['fp32', 'int8'] as const;
export type FullModelVariant = (typeof FULL_MODEL_VARIANTS)[number];

/** What every part gets from the harness. */
export interface PartOptions {
  /** Small sizes and one run: a smoke check of the whole harness in a few minutes. */
  quick: boolean;
  /** Runs (pairs) per comparison; null: the part's own default. */
  runs: number | null;
  /** Variants of the full model for the parts that use it (model, pipeline); null: the part's default. */
  models: FullModelVariant[] | null;
  /** Progress lines (stderr). */
  log(message: string): void;
}
