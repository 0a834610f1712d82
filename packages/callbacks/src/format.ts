/**
 * fastai v1's table formatting (Recorder.format_stats, fastprogress's ConsoleMasterBar.write and
 * format_time), reproduced character for character.
 */

/**
 * Python's `f'{x:.6f}'`. JavaScript's toFixed rounds exact ties away from zero where Python rounds them to
 * even (0.0078125 → '0.007813' against Python's '0.007812') and switches to exponent notation from 1e21,
 * so ties and huge values are handled here.
 */
export function formatFixed(x: number, digits = 6): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let body: string;
  if (a >= 1e21) {
    // Exact integer digits of a huge double (all its digits are significant below 2**1024).
    body = `${BigInt(a).toString()}.${'0'.repeat(digits)}`;
  } else {
    body = a.toFixed(digits);
    // A tie needs a dyadic rational with at most digits+1 decimals: only those can sit exactly halfway.
    const scaled = a * 2 ** (digits + 1);
    if (Number.isInteger(scaled)) {
      const exact = a.toFixed(digits + 1); // exact: a has at most digits+1 decimals
      if (exact.endsWith('5')) body = roundHalfEven(exact);
    }
  }
  return neg ? `-${body}` : body;
}

/** Drops the last digit (a 5 exactly halfway) of a decimal string, rounding half to even. */
function roundHalfEven(s: string): string {
  const kept = s.slice(0, -1);
  const lastDigit = Number(kept.replace('.', '').at(-1));
  if (lastDigit % 2 === 0) return kept;
  // round up: increment the digit string as a decimal integer
  const dot = kept.indexOf('.');
  const digits = kept.replace('.', '');
  const up = (BigInt(digits) + 1n).toString().padStart(digits.length, '0');
  const intLen = up.length - (digits.length - dot);
  return `${up.slice(0, intLen)}.${up.slice(intLen)}`;
}

/** fastprogress's format_time: whole seconds as mm:ss, or h:mm:ss from one hour. */
export function formatTime(seconds: number): string {
  const t = Math.trunc(seconds);
  const h = Math.floor(t / 3600);
  const m = Math.floor(t / 60) % 60;
  const s = t % 60;
  const two = (v: number) => String(v).padStart(2, '0');
  return h !== 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** One table cell as Recorder.format_stats writes it: null → '#na#', an int (the epoch) plain, others `.6f`. */
export function formatStat(stat: number | null, isInt = false): string {
  if (stat === null || stat === undefined) return '#na#';
  return isInt ? String(stat) : formatFixed(stat);
}

/** The header names as fastprogress pads them: right-padded to 8 characters. */
export function padNames(names: readonly string[]): string[] {
  return names.map((n) => (n.length < 8 ? n + ' '.repeat(8 - n.length) : n));
}

/** The header line: padded names joined with two spaces. */
export function tableHeader(names: readonly string[]): string {
  return padNames(names).join('  ');
}

/** A row: each cell followed by spaces up to its column's padded width plus two (so lines end in spaces). */
export function tableRow(names: readonly string[], cells: readonly string[]): string {
  const padded = padNames(names);
  let text = '';
  for (let i = 0; i < Math.min(cells.length, padded.length); i++) {
    const t = cells[i]!;
    text += t + ' '.repeat(Math.max(0, 2 + padded[i]!.length - t.length));
  }
  return text;
}
