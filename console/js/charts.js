// Charts drawn as SVG here (no chart library): horizontal bars with their values written next
// to them, sized to the real width of their box so text stays readable on a phone. Each chart
// also carries its numbers as a table for screen readers and for copying.
import { html, useEffect, useRef, useState } from "./ui.js";
import { t } from "./i18n.js";

function useWidth(initial = 600) {
  const ref = useRef(null);
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    if (!ref.current) return undefined;
    const update = () => setWidth(Math.max(240, Math.floor(ref.current.getBoundingClientRect().width)));
    update();
    const observer = new ResizeObserver(update);
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

let chartSeq = 0;

/**
 * rows: [{label, sub?, values: [number|null, …]}]; series: [{label}] (one per value);
 * format(value) → text. null values are drawn as "—" with no bar.
 */
export function BarChart({ title, rows, series, format }) {
  const [ref, width] = useWidth();
  const [id] = useState(() => `chart-${++chartSeq}`);
  const BAR = 16;
  const GAP = 4;
  const LABEL = 20;
  const ROW_GAP = 14;
  const VALUE_SPACE = 72;
  const values = rows.flatMap((r) => r.values).filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const span = hi - lo || 1;
  const plotLeft = lo < 0 ? VALUE_SPACE : 0;
  const plotWidth = Math.max(40, width - VALUE_SPACE - plotLeft);
  const x = (v) => plotLeft + ((v - lo) / span) * plotWidth;
  const rowHeight = LABEL + series.length * (BAR + GAP) + ROW_GAP;
  const height = Math.max(1, rows.length * rowHeight);
  return html`<figure class="chart" ref=${ref}>
    <figcaption id=${`${id}-t`}>${title}</figcaption>
    ${series.length > 1 ? html`<ul class="legend">${series.map((s, i) => html`<li><span class=${`swatch s${i}`} aria-hidden="true"></span>${s.label}</li>`)}</ul>` : ""}
    ${rows.length === 0 ? html`<p class="empty">${t("state.empty")}</p>` : html`
    <svg width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="img" aria-labelledby=${`${id}-t`}>
      ${rows.map((r, ri) => {
        const top = ri * rowHeight;
        return html`<g key=${r.label}>
          <text class="row-label" x="0" y=${top + 14}>${r.label}${r.sub ? html`<tspan class="row-sub"> ${r.sub}</tspan>` : ""}</text>
          ${r.values.map((v, si) => {
            const y = top + LABEL + si * (BAR + GAP);
            const has = v !== null && v !== undefined && Number.isFinite(v);
            const x0 = x(0);
            const x1 = has ? x(v) : x0;
            const left = Math.min(x0, x1);
            const w = Math.max(has ? 1 : 0, Math.abs(x1 - x0));
            const textX = has && v < 0 ? left - 4 : left + w + 4;
            return html`<g>
              <rect class=${`bar s${si}`} x=${left} y=${y} width=${w} height=${BAR} rx="2"><title>${series[si].label}: ${has ? format(v) : "—"}</title></rect>
              <text class="value" x=${textX} y=${y + BAR - 4} text-anchor=${has && v < 0 ? "end" : "start"}>${has ? format(v) : "—"}</text>
            </g>`;
          })}
        </g>`;
      })}
      <line class="zero" x1=${x(0)} x2=${x(0)} y1="0" y2=${height} />
    </svg>`}
    <details class="chart-data"><summary>${t("chart.data")}</summary>
      <table class="data compact"><thead><tr><th scope="col">${t("chart.group")}</th>${series.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}</tr></thead>
        <tbody>${rows.map((r) => html`<tr><th scope="row">${r.label}${r.sub ? ` (${r.sub})` : ""}</th>${r.values.map((v) => html`<td class="num">${v === null || v === undefined ? "—" : format(v)}</td>`)}</tr>`)}</tbody>
      </table>
    </details>
  </figure>`;
}
