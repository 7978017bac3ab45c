// Drafts of forms, kept in localStorage from the first keystroke until the server has the data
// (then cleared): a dropped network, a reload or an expired session loses nothing. Keyed by
// user, so two people sharing a device never see each other's drafts.
import { useCallback, useEffect, useRef, useState } from "./ui.js";
import { currentSession } from "./auth.js";

const PREFIX = "huixiang:draft:";

function storageKey(name) {
  const s = currentSession();
  return `${PREFIX}${s ? s.claims.sub : "-"}:${name}`;
}

export function readDraft(name) {
  try {
    return JSON.parse(localStorage.getItem(storageKey(name)) || "null");
  } catch {
    return null;
  }
}

export function writeDraft(name, value) {
  try {
    localStorage.setItem(storageKey(name), JSON.stringify({ savedAt: new Date().toISOString(), value }));
  } catch {
    /* storage full or disabled: the form still works, only without the safety net */
  }
}

export function clearDraft(name) {
  localStorage.removeItem(storageKey(name));
}

/**
 * [value, setValue, {restored, savedAt, clear}]: form state mirrored into localStorage.
 * `initial` is used when no draft exists; `restored` says a draft was found at first render.
 */
export function useDraft(name, initial) {
  const found = useRef(undefined);
  if (found.current === undefined) found.current = readDraft(name);
  const [value, setValue] = useState(() => (found.current ? { ...initial, ...found.current.value } : initial));
  const dirty = useRef(false);
  useEffect(() => {
    if (dirty.current) writeDraft(name, value);
  }, [name, value]);
  const update = useCallback((next) => {
    dirty.current = true;
    setValue((prev) => (typeof next === "function" ? next(prev) : next));
  }, []);
  const clear = useCallback(() => {
    dirty.current = false;
    clearDraft(name);
    found.current = null;
  }, [name]);
  return [value, update, { restored: Boolean(found.current), savedAt: found.current && found.current.savedAt, clear }];
}
