// An XEP-0004 data form as the user edits it (a room's configuration, XEP-0045 §10.2; a
// server's sign-up form, XEP-0077): one draft per field, with the control that edits it and its
// value in that control's terms, and back to the values the form submits. DataFormFields.svelte
// draws the drafts. Pure: no Svelte, no IPC.

import type { FieldValues, FormField, FormOption } from '../../ipc';

/**
 * One field being edited, by the control that shows it (XEP-0004 §3.3 types):
 * - `text`: text-single, jid-single, and any type we do not know (§3.3: the default type);
 * - `password`: text-private;
 * - `lines`: text-multi, jid-multi, one value per line;
 * - `checkbox`: boolean;
 * - `select`: list-single; `options` includes a current value the form did not list;
 * - `checkboxes`: list-multi, one checkbox per option (likewise with unlisted values);
 * - `fixed`: text to read, never submitted;
 * - `hidden`: not shown, submitted as received.
 */
export type FieldDraft =
  | { control: 'text' | 'password' | 'lines'; field: FormField; value: string }
  | { control: 'checkbox'; field: FormField; checked: boolean }
  | { control: 'select'; field: FormField; options: FormOption[]; value: string }
  | { control: 'checkboxes'; field: FormField; options: FormOption[]; selected: string[] }
  | { control: 'fixed'; field: FormField }
  | { control: 'hidden'; field: FormField };

/** A boolean field's value (XEP-0004 §3.3: "1" or "true" is true; anything else, or none, false). */
export function isTrue(values: readonly string[]): boolean {
  const first = values[0]?.trim();
  return first === '1' || first === 'true';
}

/** The field's options, then, as options named by their value, current values not among them. */
function withCurrentValues(field: FormField): FormOption[] {
  const listed = new Set(field.options.map((o) => o.value));
  const unlisted = field.values.filter((v, i) => !listed.has(v) && field.values.indexOf(v) === i);
  return [...field.options, ...unlisted.map((value) => ({ label: null, value }))];
}

/** The draft of one field, holding its values as the form came. */
export function fieldDraft(field: FormField): FieldDraft {
  switch (field.kind) {
    case 'fixed':
      return { control: 'fixed', field };
    case 'hidden':
      return { control: 'hidden', field };
    case 'boolean':
      return { control: 'checkbox', field, checked: isTrue(field.values) };
    case 'text-private':
      return { control: 'password', field, value: field.values[0] ?? '' };
    case 'text-multi':
    case 'jid-multi':
      return { control: 'lines', field, value: field.values.join('\n') };
    case 'list-single':
      return { control: 'select', field, options: withCurrentValues(field), value: field.values[0] ?? '' };
    case 'list-multi':
      return { control: 'checkboxes', field, options: withCurrentValues(field), selected: [...field.values] };
    default:
      return { control: 'text', field, value: field.values[0] ?? '' };
  }
}

/** A draft for every field of the form, in the form's order. */
export function formDrafts(form: { fields: readonly FormField[] }): FieldDraft[] {
  return form.fields.map(fieldDraft);
}

/** `selected` with `value` in it (`on`) or not, in the order of `options`. */
export function toggleOption(
  options: readonly FormOption[],
  selected: readonly string[],
  value: string,
  on: boolean,
): string[] {
  const chosen = new Set(selected);
  if (on) chosen.add(value);
  else chosen.delete(value);
  return options.map((o) => o.value).filter((v) => chosen.has(v));
}

/**
 * A single value back: none when the box is empty and the form came with none (nothing to
 * clear), otherwise the text, even empty, so clearing a value (say a room's name) reaches the
 * other end.
 */
function single(value: string, field: FormField): string[] {
  return value === '' && field.values.length === 0 ? [] : [value];
}

/** The values one draft submits, or null for a field that is not submitted (`fixed`). */
export function draftValues(draft: FieldDraft): string[] | null {
  switch (draft.control) {
    case 'fixed':
      return null;
    case 'hidden':
      return [...draft.field.values];
    case 'checkbox':
      return [draft.checked ? '1' : '0'];
    case 'text':
      return single(draft.field.kind === 'jid-single' ? draft.value.trim() : draft.value, draft.field);
    case 'password':
      return single(draft.value, draft.field);
    case 'select':
      return draft.value === '' && !draft.options.some((o) => o.value === '') ? [] : [draft.value];
    case 'checkboxes':
      return [...draft.selected];
    case 'lines': {
      if (draft.value === '') return [];
      const lines = draft.value.split(/\r?\n/);
      // JIDs one a line: blank lines and stray spaces are not JIDs.
      return draft.field.kind === 'jid-multi'
        ? lines.map((l) => l.trim()).filter((l) => l !== '')
        : lines;
    }
  }
}

/**
 * What the form submits (`set_room_config`, `register_account`): every field but the `fixed`
 * ones, in the form's order, with its values (hidden ones, like FORM_TYPE, as received;
 * booleans as "1" or "0"). A field without a name (`var`) cannot be submitted and is left out.
 */
export function submittedValues(drafts: readonly FieldDraft[]): FieldValues[] {
  const out: FieldValues[] = [];
  for (const draft of drafts) {
    const values = draftValues(draft);
    if (values !== null && draft.field.var !== '') out.push({ var: draft.field.var, values });
  }
  return out;
}

/**
 * The required fields left without a value (XEP-0004 §3.2 `<required/>`): nothing typed,
 * nothing chosen. A checkbox always has one ("0" or "1"); so do hidden fields, as received.
 */
export function missingRequired(drafts: readonly FieldDraft[]): FormField[] {
  return drafts
    .filter((draft) => {
      if (!draft.field.required) return false;
      const values = draftValues(draft);
      return values !== null && draft.control !== 'hidden' && values.every((v) => v.trim() === '');
    })
    .map((draft) => draft.field);
}

/** What to call a field: its label, or its name when the form gave none. */
export function fieldLabel(field: FormField): string {
  return field.label?.trim() ? field.label : field.var;
}

/** What to call an option: its label, or its value when the form gave none. */
export function optionLabel(option: FormOption): string {
  return option.label?.trim() ? option.label : option.value;
}
