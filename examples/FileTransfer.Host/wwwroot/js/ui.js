// Small DOM helpers shared by the dashboard's sections.

const errorBox = () => document.getElementById('error');
const noticeBox = () => document.getElementById('notice');

/** Creates an element. attrs: text, class, on<event> handlers, booleans (hidden, disabled) and other attributes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === 'text') {
      node.textContent = value;
    } else if (key === 'class') {
      node.className = value;
    } else if (key.startsWith('on')) {
      node.addEventListener(key.slice(2), value);
    } else {
      node.setAttribute(key, value === true ? '' : value);
    }
  }
  node.append(...children);
  return node;
}

/** Shows an error where screen readers announce it: the API's message, then its status and code. */
export function showError(error) {
  const box = errorBox();
  const where = error.status ? `HTTP ${error.status}${error.code ? `, ${error.code}` : ''}` : error.code;
  box.textContent = where ? `${error.message}\n(${where})` : error.message;
  box.hidden = false;
  noticeBox().textContent = '';
}

export function clearError() {
  const box = errorBox();
  box.textContent = '';
  box.hidden = true;
}

/** Confirms that something worked. */
export function notify(text) {
  clearError();
  noticeBox().textContent = text;
}

/** Runs an action for a button: the button is disabled meanwhile, and a failure is shown. */
export async function busy(button, action) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await action();
  } catch (error) {
    showError(error);
    return undefined;
  } finally {
    button.removeAttribute('aria-busy');
    button.disabled = false;
    syncNeeds();
  }
}

/**
 * Enables each button marked data-needs="field-id" only while that field has a value (a file picked, a file chosen
 * in a list), so a form cannot be sent empty. Runs on every input, change and form reset, and after each action.
 */
export function syncNeeds() {
  for (const button of document.querySelectorAll('button[data-needs]')) {
    if (button.getAttribute('aria-busy') === 'true') {
      continue;
    }
    const field = document.getElementById(button.dataset.needs);
    button.disabled = !field?.value;
  }
}

for (const type of ['input', 'change']) {
  document.addEventListener(type, syncNeeds);
}
// A reset event comes before the fields are cleared.
document.addEventListener('reset', () => setTimeout(syncNeeds));

/** A duration in seconds, as people say it: 850 ms, 12.4 s, 3 min 5 s. */
export function formatDuration(seconds) {
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatTime(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

/** A state badge: its text is the state, its colour comes from the stylesheet. */
export function badge(state) {
  return el('span', { class: `state state-${state}`, text: state });
}
