import { layout, type Panel, tickLabel } from './layout';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => String(Math.round(v * 100) / 100);

/** A standalone SVG document: axes, ticks with labels, axis labels, one polyline per series, a legend. */
export function renderSvg(panels: readonly Panel[]): string {
  const l = layout(panels);
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="sans-serif" font-size="12">`,
    `<rect x="0" y="0" width="${l.width}" height="${l.height}" fill="#ffffff"/>`,
  ];
  for (const p of l.panels) {
    const bottom = p.top + p.height;
    const right = p.left + p.width;
    out.push('<g class="panel">');
    out.push(
      `<rect x="${n(p.left)}" y="${n(p.top)}" width="${n(p.width)}" height="${n(p.height)}" fill="none" stroke="#000000"/>`,
    );
    for (const t of p.x.ticks) {
      const x = p.left + ((t - p.x.min) / (p.x.max - p.x.min)) * p.width;
      out.push(`<line x1="${n(x)}" y1="${n(bottom)}" x2="${n(x)}" y2="${n(bottom + 5)}" stroke="#000000"/>`);
      out.push(`<text x="${n(x)}" y="${n(bottom + 18)}" text-anchor="middle">${esc(tickLabel(t))}</text>`);
    }
    for (const t of p.y.ticks) {
      const y = bottom - ((t - p.y.min) / (p.y.max - p.y.min)) * p.height;
      out.push(`<line x1="${n(p.left - 5)}" y1="${n(y)}" x2="${n(p.left)}" y2="${n(y)}" stroke="#000000"/>`);
      out.push(`<text x="${n(p.left - 8)}" y="${n(y + 4)}" text-anchor="end">${esc(tickLabel(t))}</text>`);
    }
    out.push(
      `<text x="${n(p.left + p.width / 2)}" y="${n(bottom + 42)}" text-anchor="middle">${esc(p.panel.xLabel)}</text>`,
    );
    const yx = p.left - 62;
    const yy = p.top + p.height / 2;
    out.push(
      `<text x="${n(yx)}" y="${n(yy)}" text-anchor="middle" transform="rotate(-90 ${n(yx)} ${n(yy)})">${esc(p.panel.yLabel)}</text>`,
    );
    for (const { series, segments } of p.lines) {
      for (const seg of segments) {
        const pts = seg.map(([x, y]) => `${n(x)},${n(y)}`).join(' ');
        out.push(
          `<polyline fill="none" stroke="${series.color}" stroke-width="1.5" points="${pts}"><title>${esc(series.label)}</title></polyline>`,
        );
      }
    }
    if (p.panel.legend) {
      p.lines.forEach(({ series }, i) => {
        const y = p.top + 16 + i * 18;
        out.push(
          `<line x1="${n(right - 120)}" y1="${n(y - 4)}" x2="${n(right - 96)}" y2="${n(y - 4)}" stroke="${series.color}" stroke-width="2"/>`,
        );
        out.push(`<text x="${n(right - 90)}" y="${n(y)}">${esc(series.label)}</text>`);
      });
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
