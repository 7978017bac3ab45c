// The one place the view library is imported: Preact (with hooks) and htm, vendored under
// ../vendor/ (see vendor/VENDOR.md). Screens import from here, never from vendor/ directly,
// so that the library can be upgraded or swapped in one file.
import { h, render, Fragment, createContext } from "../vendor/preact/preact.module.js";
import {
  useState, useEffect, useRef, useMemo, useCallback, useContext, useLayoutEffect,
} from "../vendor/preact/hooks.module.js";
import htm from "../vendor/htm/htm.module.js";

export const html = htm.bind(h);
export {
  h, render, Fragment, createContext,
  useState, useEffect, useRef, useMemo, useCallback, useContext, useLayoutEffect,
};
