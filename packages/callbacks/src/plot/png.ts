import pngjs from 'pngjs';
import { layout, type Panel } from './layout';
import { parseColor, Raster } from './raster';

const BLACK: [number, number, number] = [0, 0, 0];

/**
 * A PNG of the panels: frame, tick marks and the series as Bresenham lines. PNG output carries no text
 * (no font rasteriser here); use an .svg file for labelled axes.
 */
export function renderPng(panels: readonly Panel[]): Buffer {
  const l = layout(panels);
  const r = new Raster(l.width, l.height);
  for (const p of l.panels) {
    const x0 = Math.round(p.left);
    const y0 = Math.round(p.top);
    const x1 = Math.round(p.left + p.width);
    const y1 = Math.round(p.top + p.height);
    r.line(x0, y0, x1, y0, BLACK);
    r.line(x1, y0, x1, y1, BLACK);
    r.line(x1, y1, x0, y1, BLACK);
    r.line(x0, y1, x0, y0, BLACK);
    for (const t of p.x.ticks) {
      const x = p.left + ((t - p.x.min) / (p.x.max - p.x.min)) * p.width;
      r.line(x, y1, x, y1 + 5, BLACK);
    }
    for (const t of p.y.ticks) {
      const y = y1 - ((t - p.y.min) / (p.y.max - p.y.min)) * p.height;
      r.line(x0 - 5, y, x0, y, BLACK);
    }
    for (const { series, segments } of p.lines) {
      const rgb = parseColor(series.color);
      for (const seg of segments) {
        if (seg.length === 1) r.line(seg[0]![0], seg[0]![1], seg[0]![0], seg[0]![1], rgb, 2);
        for (let i = 1; i < seg.length; i++)
          r.line(seg[i - 1]![0], seg[i - 1]![1], seg[i]![0], seg[i]![1], rgb, 2);
      }
    }
  }
  const png = new pngjs.PNG({ width: l.width, height: l.height });
  png.data = Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  return pngjs.PNG.sync.write(png);
}
