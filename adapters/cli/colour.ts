/**
 * Colour on a terminal, as other CLIs decide it: FORCE_COLOR (any value but "0") turns it on,
 * NO_COLOR (any non-empty value, no-color.org) turns it off, otherwise only a terminal that is
 * not TERM=dumb gets it. FORCE_COLOR wins, as in Node and chalk.
 */
export type Paint = (text: string) => string;

export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  cyan: Paint;
}

export function colourOn(env: Record<string, string | undefined>, isTTY: boolean | undefined): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  if (env.NO_COLOR) return false;
  return isTTY === true && env.TERM !== 'dumb';
}

const sgr = (open: number, close: number): Paint => (text) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain: Paint = (text) => text;

export function palette(on: boolean): Palette {
  if (!on) return { bold: plain, dim: plain, red: plain, green: plain, cyan: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), cyan: sgr(36, 39) };
}
