// Calls to the host's /v1 API with the session's bearer token. Errors become ApiError with the problem JSON's
// status, code and message, so the page can show what the host said.

const sessionKey = 'ft.session';
let sessionEnded = () => {};
let refreshing = null;

/** An error answer from the host, or a failure to reach it (status 0). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The stored session ({token, refreshToken, expiresAt, user}) or null. Per tab: it ends when the tab closes. */
export function currentSession() {
  try {
    return JSON.parse(sessionStorage.getItem(sessionKey));
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(sessionKey, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(sessionKey);
}

/** Sets what happens when the host refuses the session and a refresh cannot renew it. */
export function onSessionEnded(callback) {
  sessionEnded = callback;
}

/** Turns an error answer into an ApiError, using the problem JSON when there is one. */
export async function problemOf(response) {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The body could not be read; the status line still says something.
  }
  try {
    const problem = JSON.parse(text);
    if (problem && typeof problem.message === 'string') {
      return new ApiError(problem.status ?? response.status, problem.code ?? '', problem.message);
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  const detail = text ? `: ${text.slice(0, 300)}` : '.';
  return new ApiError(response.status, '', `The host answered ${response.status} ${response.statusText}${detail}`);
}

function unreachable(error) {
  return new ApiError(0, 'network', `Could not reach the host (${error.message}). Check that it is running and reload the page.`);
}

async function refreshSession() {
  const session = currentSession();
  if (!session?.refreshToken) {
    return false;
  }
  refreshing ??= (async () => {
    try {
      const response = await fetch('/v1/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
      if (!response.ok) {
        return false;
      }
      saveSession(await response.json());
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/**
 * Sends a request. Options: method, json (sent as JSON), body (sent as is), headers, signal, and raw (return the
 * Response instead of its JSON). A 401 is retried once after refreshing the session.
 */
export async function api(path, { method = 'GET', json, body, headers = {}, signal, raw = false } = {}) {
  const send = () => {
    const all = new Headers(headers);
    const token = currentSession()?.token;
    if (token) {
      all.set('Authorization', `Bearer ${token}`);
    }
    if (json !== undefined) {
      all.set('Content-Type', 'application/json');
    }
    return fetch(path, { method, headers: all, body: json !== undefined ? JSON.stringify(json) : body, signal });
  };

  let response;
  try {
    response = await send();
    if (response.status === 401 && currentSession() && (await refreshSession())) {
      response = await send();
    }
  } catch (error) {
    if (error.name === 'AbortError') {
      throw error;
    }
    throw unreachable(error);
  }

  if (!response.ok) {
    const error = await problemOf(response);
    if (response.status === 401 && currentSession()) {
      sessionEnded(error);
    }
    throw error;
  }
  if (raw) {
    return response;
  }
  if (response.status === 204) {
    return null;
  }
  return (response.headers.get('Content-Type') ?? '').includes('json') ? response.json() : response.text();
}

/**
 * Sends a body with upload progress (fetch reports none): onProgress gets the fraction sent. Resolves with the
 * answer's JSON; rejects with an ApiError.
 */
export function sendWithProgress(path, { method = 'PUT', body, contentType, onProgress }) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, path);
    const token = currentSession()?.token;
    if (token) {
      request.setRequestHeader('Authorization', `Bearer ${token}`);
    }
    if (contentType) {
      request.setRequestHeader('Content-Type', contentType);
    }
    request.upload.onprogress = (event) => {
      if (event.lengthComputable && onProgress) {
        onProgress(event.loaded / event.total);
      }
    };
    request.onerror = () => reject(unreachable(new Error('the upload was interrupted')));
    request.onload = async () => {
      const response = new Response(request.status === 204 ? null : request.responseText, {
        status: request.status,
        statusText: request.statusText,
        headers: { 'Content-Type': request.getResponseHeader('Content-Type') ?? '' },
      });
      if (!response.ok) {
        const error = await problemOf(response);
        if (response.status === 401) {
          sessionEnded(error);
        }
        reject(error);
        return;
      }
      resolve(request.responseText ? JSON.parse(request.responseText) : null);
    };
    request.send(body);
  });
}
