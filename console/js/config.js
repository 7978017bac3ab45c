// The console's configuration: config.json beside index.html. Locally devstack serves it
// ({"auth": "local", "apiBase": ""}); in production it is written at deploy time from the
// stack's outputs ({"auth": "cognito", "apiBase": "https://…/api", "cognito": {…}}).
let current = null;

export async function loadConfig() {
  const response = await fetch(new URL("../config.json", import.meta.url), { cache: "no-cache" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  current = await response.json();
  current.apiBase = (current.apiBase || "").replace(/\/+$/, "");
  return current;
}

export function config() {
  return current;
}
