// Login, and the forced change of an initial password.
import { api, formData, setCsrf, showErrors, clearErrors } from "./common/api.js";
import { HOME } from "./common/shell.js";

const next = new URLSearchParams(location.search).get("next");
const go = (role) => { location.href = next && next.startsWith("/ui/") ? next : HOME[role] || "/ui/ops/queue.html"; };

// Already logged in (a valid cookie): go straight on.
api("GET", "/api/v1/auth/me", undefined, { noRedirect: true })
  .then((me) => { if (!me.must_change_password) go(me.role); })
  .catch(() => {});

const login = document.getElementById("login");
login.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors(login);
  try {
    const r = await api("POST", "/api/v1/auth/login", formData(login), { noRedirect: true });
    setCsrf(r.csrf_token);
    const me = await api("GET", "/api/v1/auth/me");
    if (me.must_change_password) {
      login.hidden = true;
      document.getElementById("change").hidden = false;
      document.getElementById("old_password").focus();
    } else go(me.role);
  } catch (err) { showErrors(login, err); }
});

const change = document.getElementById("change");
change.addEventListener("submit", async (e) => {
  e.preventDefault();
  clearErrors(change);
  try {
    const r = await api("POST", "/api/v1/auth/password", formData(change));
    setCsrf(r.csrf_token);
    const me = await api("GET", "/api/v1/auth/me");
    go(me.role);
  } catch (err) { showErrors(change, err); }
});
