// Signing in: the page asks GET /api/session who it is. On a server with users and no
// anonymous role that is 401, and the sign-in form shows; POST /api/session with a
// name and password sets an HttpOnly session cookie (scripts never see it) and answers
// with the session's CSRF token, which every request that changes anything echoes
// (dom.js). The header then names who is signed in, their role and their scope.

import { $, el, setCsrf } from "/dom.js";

const ROLE_RANK = { viewer: 0, planner: 1, editor: 2, admin: 3 };
const ROLE_WORDS = {
  viewer: "查看 viewer",
  planner: "规划 planner",
  editor: "编辑 editor",
  admin: "管理 admin",
};

let current = null;

/** Who the page is signed in as: {name, role, scope, csrf}. */
export function who() {
  return current;
}

/** Whether the signed-in role is `role` or above. */
export function mayAct(role) {
  return current !== null && ROLE_RANK[current.role] >= ROLE_RANK[role];
}

/** The export and print buttons for a planner and above; for a viewer, a line saying
 *  who may use them (the server would refuse them with 403). */
export function exportsOrWhy(buttons) {
  if (mayAct("planner")) {
    return el("div", { class: "button-row exports", role: "group", "aria-label": "Export 导出" }, buttons);
  }
  return el("p", { class: "hint exports-withheld" },
    "导出与打印需规划人员及以上权限 Exports and printable reports are for planners and above.");
}

/** Resolves once the page knows who it is, signing in first when the server asks. */
export async function signIn() {
  const response = await fetch("/api/session");
  if (response.ok) return remember(await response.json());
  if (response.status !== 401) throw new Error(`/api/session: HTTP ${response.status}`);
  return remember(await askForPassword());
}

function remember(session) {
  current = session;
  // A server showing a map pack alone (`serve --pack`) has tiles and nothing else.
  document.body.dataset.mode = session.mode || "server";
  setCsrf(session.csrf);
  showWho(session);
  return session;
}

/** Shows the sign-in form until a name and password sign someone in. */
function askForPassword() {
  const form = $("sign-in");
  const message = $("sign-in-message");
  form.hidden = false;
  $("sign-in-name").focus();
  return new Promise((resolve) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      message.textContent = "";
      const body = { name: $("sign-in-name").value, password: $("sign-in-password").value };
      const response = await fetch("/api/session", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        message.textContent = answer.error || `HTTP ${response.status}`;
        return;
      }
      $("sign-in-password").value = "";
      form.hidden = true;
      resolve(answer);
    });
  });
}

/** The header line: name, role, scope, and a sign-out button for a signed-in page. */
function showWho(session) {
  const scope = session.scope && session.scope.length ? session.scope.join(", ") : "全部 all";
  const line = $("who");
  line.replaceChildren(
    el("span", { class: "who-name" }, session.name),
    ` · ${ROLE_WORDS[session.role] || session.role} · ${scope}`,
    session.mode === "pack" ? " · 离线地图包 offline map pack" : "",
    session.csrf
      ? el("button", { type: "button", id: "sign-out", onclick: signOut }, "退出 Sign out")
      : null);
  line.hidden = false;
}

async function signOut() {
  await fetch("/api/session", { method: "DELETE", headers: { "x-csrf-token": current.csrf } });
  window.location.reload();
}
