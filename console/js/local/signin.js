// LOCAL STACK ONLY — never part of a production build (infra/console_dist.py leaves local/
// out). Mints a token through devstack's POST /local/token for the user, role and org typed
// here; the API then treats it exactly like a Cognito ID token.
import { html, useEffect, useState } from "../ui.js";
import { signInLocal } from "../auth.js";
import { fieldMessage, t } from "../i18n.js";
import { FormMessage, markReady, SelectField, TextField, useSubmit } from "../components.js";

const LAST = "huixiang:local-signin";
const PRESETS = [
  { sub: "rep-li", name: "Li Lei", role: "rep", org: "CN/EAST/JS" },
  { sub: "mgr-zhao", name: "Zhao Si", role: "manager", org: "CN/EAST" },
  { sub: "lead-sun", name: "Sun Qi", role: "leader", org: "CN" },
  { sub: "fin-zhou", name: "Zhou Ba", role: "finance", org: "CN" },
];

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(LAST) || "null") || PRESETS[0];
  } catch {
    return PRESETS[0];
  }
}

export default function LocalSignIn({ notice, LangSwitch, OfflineEntry }) {
  const [user, setUser] = useState(remembered);
  const submit = useSubmit();
  useEffect(() => {
    document.title = `${t("auth.local_title")} · ${t("app.name")}`;
    markReady();
  }, []);
  const set = (k) => (v) => setUser({ ...user, [k]: v });
  const fieldErrors = {};
  if (submit.error && submit.error.errors) for (const e of submit.error.errors) fieldErrors[e.field] = fieldMessage(e);
  const onSubmit = (e) => {
    e.preventDefault();
    localStorage.setItem(LAST, JSON.stringify(user));
    submit.run(() => signInLocal(user));
  };
  return html`<main id="main" class="signin" tabindex="-1"><div class="page" data-busy="false">
    <div class="page-head"><h1>${t("auth.local_title")}</h1><div class="page-actions"><${LangSwitch} /></div></div>
    ${notice ? html`<p class="notice notice-warn" role="status">${notice}</p>` : ""}
    <${OfflineEntry} />
    <p class="hint">${t("auth.local_intro")}</p>
    <div class="presets" role="group" aria-label=${t("auth.presets")}>
      ${PRESETS.map((p) => html`<button type="button" class="secondary" onClick=${() => setUser(p)}
        aria-pressed=${user.sub === p.sub ? "true" : "false"}>${p.name} · ${t(`role.${p.role}`)}</button>`)}
    </div>
    <form class="card form" onSubmit=${onSubmit} novalidate>
      <${TextField} label=${t("auth.sub")} name="sub" value=${user.sub} onValue=${set("sub")} required
        autocomplete="username" error=${fieldErrors.sub} />
      <${TextField} label=${t("auth.name")} name="name" value=${user.name} onValue=${set("name")} error=${fieldErrors.name} />
      <${SelectField} label=${t("auth.role")} name="role" value=${user.role} onValue=${set("role")} required
        options=${["rep", "manager", "leader", "finance"].map((r) => ({ value: r, label: t(`role.${r}`) }))}
        error=${fieldErrors.role} />
      <${TextField} label=${t("auth.org")} name="org" value=${user.org} onValue=${set("org")} required
        hint=${t("auth.org_hint")} error=${fieldErrors.org} />
      <${FormMessage} error=${submit.error && !submit.error.errors?.length ? submit.error : null} />
      <div class="actions"><button type="submit" disabled=${submit.busy}>${t("auth.sign_in")}</button></div>
    </form>
  </div></main>`;
}
