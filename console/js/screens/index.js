// Every screen of the console: its route, who may open it, its menu entry (nav: an i18n key,
// or a function of the role giving one)
// and its module, loaded on first use. A new screen is one module under screens/ and one
// entry here (docs/console.md, "Adding a screen"). Order matters: the first match wins.
const ALL = ["rep", "manager", "leader", "finance"];
const APPLICANTS = ["rep", "manager"];
const DECIDERS = ["manager", "leader"];
const OVERSIGHT = ["manager", "leader", "finance"];
const WEBHOOK_MANAGERS = ["leader", "finance"];

export const SCREENS = [
  // rep (and a manager applying for their own campaigns)
  { id: "campaigns", path: "/campaigns", roles: ALL, nav: (role) => (role === "rep" ? "nav.campaigns" : "campaigns.all"),
    load: () => import("./campaigns.js") },
  { id: "apply", path: "/campaigns/new", roles: APPLICANTS, nav: "nav.apply", load: () => import("./apply.js") },
  { id: "campaign", path: "/campaigns/:id", roles: ALL, load: () => import("./campaign.js") },
  { id: "feedback-edit", path: "/campaigns/:id/feedback", roles: APPLICANTS, load: () => import("./feedback-edit.js") },
  { id: "audit", path: "/campaigns/:id/audit", roles: ALL, load: () => import("./audit.js") },
  { id: "my-requests", path: "/my/feedback-requests", roles: APPLICANTS, nav: "nav.my_requests", load: () => import("./my-requests.js") },
  { id: "my-reports", path: "/my/reports", roles: APPLICANTS, nav: "nav.my_reports", load: () => import("./my-reports.js") },
  { id: "outbox", path: "/outbox", roles: APPLICANTS, nav: "nav.outbox", load: () => import("./outbox.js") },
  // manager and leader: decisions
  { id: "approvals", path: "/approvals", roles: DECIDERS, nav: "nav.approvals", load: () => import("./approvals.js") },
  { id: "approval-card", path: "/approvals/:id", roles: DECIDERS, load: () => import("./approval-card.js") },
  { id: "delegation", path: "/me/delegation", roles: DECIDERS, nav: "nav.delegation", load: () => import("./delegation.js") },
  // worklists D and E
  { id: "feedback-search", path: "/feedback", roles: OVERSIGHT, nav: "nav.feedback_search", load: () => import("./feedback-search.js") },
  { id: "feedback-requests", path: "/feedback-requests", roles: OVERSIGHT, nav: "nav.feedback_requests", load: () => import("./feedback-requests.js") },
  // leader
  { id: "rules", path: "/rules", roles: ["leader"], nav: "nav.rules", load: () => import("./rules.js") },
  { id: "approval-policy", path: "/approval-policy", roles: DECIDERS, nav: "nav.policy", load: () => import("./approval-policy.js") },
  { id: "dashboard", path: "/dashboard", roles: DECIDERS, nav: "nav.dashboard", load: () => import("./dashboard.js") },
  { id: "reports", path: "/reports", roles: DECIDERS, nav: "nav.reports", load: () => import("./reports.js") },
  // finance
  { id: "settlement", path: "/settlement", roles: ["finance"], nav: "nav.settlement", load: () => import("./settlement.js") },
  { id: "locked", path: "/settlement/locked", roles: ["finance"], nav: "nav.locked", load: () => import("./locked.js") },
  { id: "vouchers", path: "/vouchers", roles: ["finance", "leader"], nav: "nav.vouchers", load: () => import("./vouchers.js") },
  // budgets (money control): leaders allocate, finance and managers read
  { id: "budgets", path: "/budgets", roles: OVERSIGHT, nav: "nav.budgets", load: () => import("./budgets.js") },
  { id: "budget", path: "/budgets/:id", roles: OVERSIGHT, load: () => import("./budget.js") },
  // events out: leaders and finance connect their systems and group chats (API.md v3)
  { id: "webhooks", path: "/webhooks", roles: WEBHOOK_MANAGERS, nav: "nav.webhooks", load: () => import("./webhooks.js") },
  { id: "webhook", path: "/webhooks/:id", roles: WEBHOOK_MANAGERS, load: () => import("./webhook.js") },
];

/** Where each role lands after signing in. */
export const HOME = { rep: "/campaigns", manager: "/approvals", leader: "/dashboard", finance: "/settlement" };
