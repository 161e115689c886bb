/** One self-overwriting progress line on a terminal: `[#########...........]  45 % inference`. */
export interface ProgressLine {
  update(fraction: number, label: string): void;
  done(label: string): void;
}

const WIDTH = 30;

export function createProgressLine(out: { write(text: string): unknown }): ProgressLine {
  let last = '';
  let lastFraction = 0;
  const draw = (fraction: number, label: string): string => {
    const f = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(f * WIDTH);
    return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.round(f * 100)).padStart(3)} % ${label}`;
  };
  return {
    update(fraction, label) {
      const text = draw(fraction, label);
      if (text === last) return;
      out.write(`\r${text.padEnd(last.length)}`);
      last = text;
      lastFraction = fraction;
    },
    done(label) {
      out.write(`\r${draw(label === 'completed' ? 1 : lastFraction, label).padEnd(last.length)}\n`);
      last = '';
    },
  };
}
