// Light and dark themes: the system's choice (prefers-color-scheme) until the header's toggle picks one, which this
// browser remembers. The chosen theme is data-theme on <html>; charts read their colours from the CSS variables.

const key = 'ft.theme';
const root = document.documentElement;
const system = window.matchMedia('(prefers-color-scheme: dark)');
const listeners = new Set();

/** The theme in effect: 'light' or 'dark'. */
export function currentTheme() {
  return root.dataset.theme ?? (system.matches ? 'dark' : 'light');
}

/** Runs a callback whenever the theme changes (the charts redraw in the new colours). */
export function onThemeChanged(callback) {
  listeners.add(callback);
  return () => listeners.delete(callback);
}

function apply(theme) {
  if (theme) {
    root.dataset.theme = theme;
  } else {
    delete root.dataset.theme;
  }
  const toggle = document.getElementById('theme-toggle');
  const dark = currentTheme() === 'dark';
  toggle.setAttribute('aria-pressed', String(dark));
  // A toggle button keeps its name; aria-pressed says whether the dark theme is on.
  for (const callback of listeners) {
    callback(currentTheme());
  }
}

apply(localStorage.getItem(key));
system.addEventListener('change', () => apply(localStorage.getItem(key)));
document.getElementById('theme-toggle').addEventListener('click', () => {
  const next = currentTheme() === 'dark' ? 'light' : 'dark';
  localStorage.setItem(key, next);
  apply(next);
});
