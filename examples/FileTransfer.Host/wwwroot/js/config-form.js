// A plugin's configuration as a form generated from its package's JSON Schema (configSchema in plugin.json): one
// field per top-level property (text, number, checkbox or list, from its type and enum), with the schema's title,
// description and default. Values are checked as the schema says before sending, and the host's own check after:
// each problem is shown under the field it is about (aria-invalid and aria-describedby), and focus goes to the first.

import { busy, el } from './ui.js';

/** The configuration form of a plugin, or a note saying why there is none. save(config) sends it. */
export function renderConfigForm(plugin, save) {
  const schema = plugin.configSchema;
  if (plugin.source !== 'package') {
    return el('p', { class: 'muted', text: 'A built-in plugin is configured in the host\'s appsettings.json (its Plugins section), not here.' });
  }
  if (!schema?.properties || Object.keys(schema.properties).length === 0) {
    return el('p', { class: 'muted', text: 'This package declares no configuration schema, so it has no settings to edit.' });
  }
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties).map(([name, property]) => field(plugin, name, property, required.has(name)));
  const formError = el('p', { class: 'field-error', id: 'config-form-error', role: 'alert', hidden: true });
  const submit = el('button', { type: 'submit', text: 'Save configuration' });
  const form = el('form', { class: 'config-form', novalidate: true, 'aria-describedby': 'config-form-note' },
    el('p', { id: 'config-form-note', class: 'muted', text: 'Generated from the package\'s configuration schema. Saving gives the plugin its new settings at once; if it refuses them, the previous ones stay.' }),
    ...fields.map((f) => f.row),
    formError,
    el('div', { class: 'row' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(fields, formError);
    const { config, problems } = collect(fields);
    if (problems.length) {
      showProblems(fields, formError, problems);
      return;
    }
    try {
      await busy(submit, async () => {
        try {
          await save(config);
        } catch (error) {
          // The host's schema check names the property ('port': integer expected); put it under that field.
          showProblems(fields, formError, problemsFromHost(error.message, fields));
        }
      });
    } catch {
      // busy shows any other failure in the page's error box.
    }
  });
  return form;
}

function field(plugin, name, property, isRequired) {
  const id = `config-${name}`;
  const errorId = `${id}-error`;
  const value = plugin.config?.[name] ?? property.default;
  const type = Array.isArray(property.type) ? property.type.find((t) => t !== 'null') : property.type;
  let input;
  if (Array.isArray(property.enum)) {
    input = el('select', { id, name }, ...(isRequired ? [] : [el('option', { value: '', text: '(not set)' })]),
      ...property.enum.map((option) => el('option', { value: String(option), text: String(option) })));
    input.value = value === undefined || value === null ? '' : String(value);
  } else if (type === 'boolean') {
    input = el('input', { id, name, type: 'checkbox' });
    input.checked = value === true;
  } else {
    const numeric = type === 'integer' || type === 'number';
    input = el('input', {
      id,
      name,
      type: numeric ? 'number' : property.format === 'uri' ? 'url' : 'text',
      step: type === 'integer' ? '1' : numeric ? 'any' : undefined,
      min: property.minimum,
      max: property.maximum,
    });
    input.value = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  const hintId = `${id}-hint`;
  input.setAttribute('aria-describedby', `${hintId} ${errorId}`);
  if (isRequired) {
    input.setAttribute('aria-required', 'true');
  }
  const label = el('label', { for: id }, property.title ?? name, isRequired ? el('span', { class: 'required', text: ' (required)' }) : '');
  const hint = el('small', { id: hintId, class: 'muted', text: [property.description, property.default !== undefined ? `Default: ${JSON.stringify(property.default)}.` : ''].filter(Boolean).join(' ') });
  const error = el('span', { id: errorId, class: 'field-error', hidden: true });
  const row = el('div', { class: 'config-field', 'data-field': name }, label, input, hint, error);
  return { name, property, type, isRequired, input, error, row };
}

function collect(fields) {
  const config = {};
  const problems = [];
  for (const f of fields) {
    const { name, property, type, input } = f;
    if (input.type === 'checkbox') {
      config[name] = input.checked;
      continue;
    }
    const text = input.value.trim();
    if (text === '') {
      if (f.isRequired) {
        problems.push({ name, message: 'Required: give a value.' });
      }
      continue;
    }
    if (type === 'integer' || type === 'number') {
      const number = Number(text);
      if (!Number.isFinite(number) || (type === 'integer' && !Number.isInteger(number))) {
        problems.push({ name, message: `Must be ${type === 'integer' ? 'a whole number' : 'a number'}.` });
        continue;
      }
      if (property.minimum !== undefined && number < property.minimum) {
        problems.push({ name, message: `Must be at least ${property.minimum}.` });
        continue;
      }
      if (property.maximum !== undefined && number > property.maximum) {
        problems.push({ name, message: `Must be at most ${property.maximum}.` });
        continue;
      }
      config[name] = number;
    } else if (type === 'object' || type === 'array') {
      try {
        config[name] = JSON.parse(text);
      } catch {
        problems.push({ name, message: `Must be JSON (${type === 'array' ? 'a list such as ["a", "b"]' : 'an object such as {"key": "value"}'}).` });
      }
    } else {
      if (property.minLength !== undefined && text.length < property.minLength) {
        problems.push({ name, message: `Must be at least ${property.minLength} characters.` });
        continue;
      }
      if (property.pattern && !new RegExp(property.pattern, 'u').test(text)) {
        problems.push({ name, message: `Must match the pattern ${property.pattern}.` });
        continue;
      }
      config[name] = text;
    }
  }
  return { config, problems };
}

function problemsFromHost(message, fields) {
  const found = fields
    .map((f) => ({ f, match: message.match(new RegExp(`'${f.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}':\\s*([^;.]+)`)) }))
    .filter(({ match }) => match)
    .map(({ f, match }) => ({ name: f.name, message: `The host refused it: ${match[1]}.` }));
  return found.length ? found : [{ name: null, message }];
}

function clearErrors(fields, formError) {
  for (const f of fields) {
    f.error.hidden = true;
    f.error.textContent = '';
    f.input.removeAttribute('aria-invalid');
  }
  formError.hidden = true;
  formError.textContent = '';
}

function showProblems(fields, formError, problems) {
  let first = null;
  for (const problem of problems) {
    const f = fields.find((candidate) => candidate.name === problem.name);
    if (f) {
      f.error.textContent = problem.message;
      f.error.hidden = false;
      f.input.setAttribute('aria-invalid', 'true');
      first ??= f.input;
    } else {
      formError.textContent = problem.message;
      formError.hidden = false;
    }
  }
  (first ?? formError).focus?.();
}
