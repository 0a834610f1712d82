/**
 * The geometry shared by the SVG and PNG writers: panels side by side, each with a plot area, "nice"
 * axis ticks, and a mapping from data to pixels. Points that are not finite break a line.
 */

export interface Series {
  label: string;
  xs: readonly number[];
  ys: readonly (number | null)[];
  color: string;
}

export interface Panel {
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Draw a legend with the series labels (SVG only). */
  legend?: boolean;
}

export interface Axis {
  min: number;
  max: number;
  ticks: number[];
}

export interface PanelLayout {
  panel: Panel;
  /** The plot area in pixels. */
  left: number;
  top: number;
  width: number;
  height: number;
  x: Axis;
  y: Axis;
  /** Each series as polylines in pixels (a new polyline after every non-finite point). */
  lines: { series: Series; segments: [number, number][][] }[];
}

export const PANEL_WIDTH = 640;
export const PANEL_HEIGHT = 480;
const MARGIN = { left: 80, right: 20, top: 20, bottom: 60 };

export const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];

export function layout(panels: readonly Panel[]): { width: number; height: number; panels: PanelLayout[] } {
  const out = panels.map((panel, i) => {
    const left = i * PANEL_WIDTH + MARGIN.left;
    const top = MARGIN.top;
    const width = PANEL_WIDTH - MARGIN.left - MARGIN.right;
    const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
    const xs: number[] = [];
    const ys: number[] = [];
    for (const s of panel.series) {
      s.xs.forEach((x, j) => {
        const y = s.ys[j];
        if (Number.isFinite(x) && typeof y === 'number' && Number.isFinite(y)) {
          xs.push(x);
          ys.push(y);
        }
      });
    }
    const x = axis(xs);
    const y = axis(ys);
    const px = (v: number) => left + ((v - x.min) / (x.max - x.min)) * width;
    const py = (v: number) => top + height - ((v - y.min) / (y.max - y.min)) * height;
    const lines = panel.series.map((series) => {
      const segments: [number, number][][] = [];
      let cur: [number, number][] = [];
      series.xs.forEach((xv, j) => {
        const yv = series.ys[j];
        if (Number.isFinite(xv) && typeof yv === 'number' && Number.isFinite(yv)) {
          cur.push([px(xv), py(yv)]);
        } else if (cur.length > 0) {
          segments.push(cur);
          cur = [];
        }
      });
      if (cur.length > 0) segments.push(cur);
      return { series, segments };
    });
    return { panel, left, top, width, height, x, y, lines };
  });
  return { width: PANEL_WIDTH * Math.max(1, panels.length), height: PANEL_HEIGHT, panels: out };
}

/** An axis spanning the values plus 5% with 1-2-5 ticks (about five); a single value gets a small span. */
export function axis(values: readonly number[]): Axis {
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (values.length === 0) {
    min = 0;
    max = 1;
  } else if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.05;
    min -= pad;
    max += pad;
  } else {
    // matplotlib's default 5% margins, so the curves do not run along the frame
    const pad = (max - min) * 0.05;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step); k * step <= max + Math.abs(max) * 1e-12; k++) ticks.push(k * step);
  return { min, max, ticks };
}

/** A short tick label: at most 4 significant digits, exponent form for very small or large values. */
export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1).replace('.0e', 'e');
  return String(Number(v.toPrecision(4)));
}
