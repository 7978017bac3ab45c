// Money is integer fen in the API and yuan on screen; ratios are shown as percentages.
import { lang } from "./i18n.js";

function locale() {
  return lang() === "zh" ? "zh-CN" : "en-GB";
}

/** ¥3,000.00; a negative amount puts its sign first: -¥350.00 (never ¥-350.00). */
export function money(fen) {
  if (fen === null || fen === undefined) return "—";
  const yuan = (Math.abs(fen) / 100).toLocaleString(locale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${fen < 0 ? "-" : ""}¥${yuan}`;
}

/** "1,234.5" or "1234.50" (yuan) → 123450 fen; "" → null; anything else → NaN. */
export function parseYuan(text) {
  const s = String(text ?? "").replace(/[,\s¥￥]/g, "");
  if (s === "") return null;
  if (!/^\d+(\.\d{0,2})?$/.test(s)) return NaN;
  const [whole, frac = ""] = s.split(".");
  return Number(whole) * 100 + Number((frac + "00").slice(0, 2));
}

export function yuanText(fen) {
  if (fen === null || fen === undefined || Number.isNaN(fen)) return "";
  return (fen / 100).toFixed(2).replace(/\.00$/, "");
}

export function parseCount(text) {
  const s = String(text ?? "").trim();
  if (s === "") return null;
  return /^\d+$/.test(s) ? Number(s) : NaN;
}

export function percent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return "—";
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** The same rounding as the API (4 decimals, null when the denominator is 0). */
export function ratio(numerator, denominator) {
  if (numerator === null || denominator === null || !denominator || Number.isNaN(numerator) || Number.isNaN(denominator)) return null;
  return Math.round((numerator / denominator) * 10000) / 10000;
}

export function date(iso) {
  if (!iso) return "—";
  return iso.length > 10 ? new Date(iso).toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" }) : iso;
}

/** Today in Asia/Shanghai (the API's business day), YYYY-MM-DD. */
export function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
}

export function daysBetween(fromIso, toIso) {
  return Math.round((Date.parse(`${toIso.slice(0, 10)}T00:00:00Z`) - Date.parse(`${fromIso.slice(0, 10)}T00:00:00Z`)) / 86400000);
}

export function month(offset = 0) {
  const [y, m] = today().split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + offset, 1));
  return d.toISOString().slice(0, 7);
}
