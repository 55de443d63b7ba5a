// The REST client. The access token lives in this module's memory only; the
// refresh token is an HttpOnly cookie on /api/v1/auth/session/ that no script
// can read. The access token is renewed a minute before it runs out, and once
// more on a 401; a 429 waits out Retry-After (bounded) and tries again once.

const SESSION_HEADER = { "X-Chatelly-Session": "1" };
const RENEW_BEFORE_MS = 60_000;
const MAX_RETRY_WAIT_MS = 30_000;

let access = null;
let user = null;
let renewTimer = null;
let refreshing = null;
const authListeners = new Set();
const noticeListeners = new Set();

export class ApiError extends Error {
  constructor(status, body) {
    // The API's one error shape: {error: code, message, code: status, details}.
    super((body && body.message) || `Request failed (${status})`);
    this.status = status;
    this.code = (body && body.error) || "network_error";
    this.details = (body && body.details) || {};
    this.retryAfter = body && body.retryAfter;
  }
}

export function currentUser() {
  return user;
}

export function signedIn() {
  return access !== null;
}

/** fn(user|null) on every sign-in, renewal of the user and sign-out. */
export function onAuthChange(fn) {
  authListeners.add(fn);
  return () => authListeners.delete(fn);
}

/** fn({kind, message}) for things the page should show (rate limits, network). */
export function onNotice(fn) {
  noticeListeners.add(fn);
  return () => noticeListeners.delete(fn);
}

function notice(kind, message) {
  for (const fn of noticeListeners) fn({ kind, message });
}

function expiresAt(token) {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return payload.exp * 1000;
  } catch {
    return Date.now() + 5 * 60_000;
  }
}

function setSession(token, who) {
  access = token;
  if (who) user = who;
  clearTimeout(renewTimer);
  renewTimer = null;
  if (token) {
    const wait = Math.max(5_000, expiresAt(token) - Date.now() - RENEW_BEFORE_MS);
    renewTimer = setTimeout(() => renew().catch(() => {}), wait);
  } else {
    user = null;
  }
  for (const fn of authListeners) fn(user);
}

export function setUser(who) {
  user = who;
  for (const fn of authListeners) fn(user);
}

async function send(method, path, { body, query, form, headers = {} } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (access) init.headers.Authorization = `Bearer ${access}`;
  if (form) {
    init.body = form;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    return await fetch(url, init);
  } catch {
    throw new ApiError(0, { error: "network_error", message: "The server cannot be reached." });
  }
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) return response;
  return response.json();
}

async function failure(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = { message: `Request failed (${response.status})` };
  }
  body.retryAfter = Number(response.headers.get("Retry-After")) || null;
  return new ApiError(response.status, body);
}

/** One API call; resolves to the parsed JSON (or the Response for non-JSON), rejects with ApiError. */
export async function request(method, path, options = {}) {
  let response = await send(method, path, options);
  if (response.status === 401 && access && !options.noRenew) {
    if (await renew().catch(() => false)) response = await send(method, path, options);
  }
  if (response.status === 429) {
    const error = await failure(response);
    const wait = Math.min(MAX_RETRY_WAIT_MS, (error.retryAfter || 5) * 1000);
    notice("rate_limited", `Too many requests: retrying in ${Math.ceil(wait / 1000)} s.`);
    await new Promise((resolve) => setTimeout(resolve, wait));
    response = await send(method, path, options);
    if (response.ok) notice("clear", "");
  }
  if (!response.ok) throw await failure(response);
  return parse(response);
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  post: (path, body) => request("POST", path, { body }),
  put: (path, body) => request("PUT", path, { body }),
  patch: (path, body) => request("PATCH", path, { body }),
  del: (path) => request("DELETE", path),
  upload: (path, form) => request("POST", path, { form }),
};

/** Renew the access token from the refresh cookie; false when there is no session. */
export function renew() {
  if (!refreshing) {
    refreshing = (async () => {
      if (passwordChange && (await passwordChange.then(() => true, () => false))) return true;
      const before = access;
      const response = await send("POST", "/api/v1/auth/session/refresh", { headers: SESSION_HEADER });
      if (!response.ok) {
        // A sign-in that finished while this was on its way keeps its session.
        if ((response.status === 401 || response.status === 403) && access === before) setSession(null);
        return access !== null && access !== before;
      }
      const data = await response.json();
      setSession(data.access, data.user);
      return true;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

export async function login(email, password) {
  const data = await request("POST", "/api/v1/auth/login", {
    body: { email, password, refresh_cookie: true },
    noRenew: true,
  });
  setSession(data.access, data.user);
  return data.user;
}

export async function register(name, email, password) {
  const data = await request("POST", "/api/v1/auth/register", {
    body: { name, email, password, refresh_cookie: true },
    noRenew: true,
  });
  setSession(data.access, data.user);
  return data.user;
}

/**
 * Set a new password from an emailed reset link, and sign in with it like login():
 * with refresh_cookie the refresh token comes as the session cookie, so a reload
 * keeps the session.
 */
export async function resetPassword(token, newPassword) {
  const data = await request("POST", "/api/v1/auth/password-reset/confirm", {
    body: { token, new_password: newPassword, refresh_cookie: true },
    noRenew: true,
  });
  setSession(data.access, data.user);
  return data.user;
}

// The server revokes every older token, and closes the agent socket with 4401, possibly
// before this call's answer (with the new cookie) arrives: renew() waits for it.
let passwordChange = null;

export function changePassword(currentPassword, newPassword) {
  const done = (async () => {
    const data = await request("POST", "/api/v1/user/password", {
      body: { current_password: currentPassword, new_password: newPassword, refresh_cookie: true },
      noRenew: true,
    });
    setSession(data.access);
  })();
  passwordChange = done;
  done.catch(() => {}).finally(() => {
    if (passwordChange === done) passwordChange = null;
  });
  return done;
}

export async function logout() {
  try {
    await send("POST", "/api/v1/auth/session/logout", { headers: SESSION_HEADER });
  } finally {
    setSession(null);
  }
}
