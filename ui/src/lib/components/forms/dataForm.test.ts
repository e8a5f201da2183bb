import { describe, expect, test } from 'vitest';
import type { FieldDraft } from './dataForm';
import {
  draftValues,
  fieldDraft,
  fieldLabel,
  formDrafts,
  isTrue,
  missingRequired,
  optionLabel,
  submittedValues,
  toggleOption,
} from './dataForm';
import { formField, roomConfigForm } from '../../../test/backend';

const WHOIS = formField('muc#roomconfig_whois', 'list-single', {
  values: ['moderators'],
  options: [
    { label: 'Moderators only', value: 'moderators' },
    { label: 'Anyone', value: 'anyone' },
  ],
});
const BROADCAST = formField('muc#roomconfig_presencebroadcast', 'list-multi', {
  values: ['participant', 'moderator'],
  options: [
    { label: 'Moderator', value: 'moderator' },
    { label: 'Participant', value: 'participant' },
    { label: 'Visitor', value: 'visitor' },
  ],
});

/** `draft` with the user's edit applied. */
function edited<D extends FieldDraft>(draft: D, change: Partial<D>): D {
  return { ...draft, ...change };
}

describe('isTrue', () => {
  test('"1" and "true" are true (XEP-0004 §3.3); "0", "false" and nothing are false', () => {
    expect(isTrue(['1'])).toBe(true);
    expect(isTrue(['true'])).toBe(true);
    expect(isTrue(['0'])).toBe(false);
    expect(isTrue(['false'])).toBe(false);
    expect(isTrue([]), 'a boolean without a value is unset: false').toBe(false);
  });
});

describe('fieldDraft: each type gets its control, holding the form’s values', () => {
  test('text-single and jid-single are a line of text; text-private a password', () => {
    expect(fieldDraft(formField('name', 'text-single', { values: ['Dev'] }))).toMatchObject({
      control: 'text',
      value: 'Dev',
    });
    expect(fieldDraft(formField('owner', 'jid-single'))).toMatchObject({ control: 'text', value: '' });
    expect(fieldDraft(formField('secret', 'text-private', { values: ['s3cret'] }))).toMatchObject({
      control: 'password',
      value: 's3cret',
    });
  });

  test('text-multi and jid-multi are lines, one value per line', () => {
    const admins = formField('admins', 'jid-multi', { values: ['bob@example.org', 'carol@example.org'] });
    expect(fieldDraft(admins)).toMatchObject({
      control: 'lines',
      value: 'bob@example.org\ncarol@example.org',
    });
  });

  test('a boolean is a checkbox', () => {
    expect(fieldDraft(formField('persistent', 'boolean', { values: ['true'] }))).toMatchObject({
      control: 'checkbox',
      checked: true,
    });
    expect(fieldDraft(formField('public', 'boolean', { values: ['0'] }))).toMatchObject({
      checked: false,
    });
  });

  test('list-single is a select on its value; a value the room did not list is offered too', () => {
    expect(fieldDraft(WHOIS)).toMatchObject({ control: 'select', value: 'moderators', options: WHOIS.options });
    const odd = fieldDraft({ ...WHOIS, values: ['nobody'] });
    expect(odd).toMatchObject({ value: 'nobody' });
    expect(odd.control === 'select' && odd.options.map((o) => o.value)).toEqual([
      'moderators',
      'anyone',
      'nobody',
    ]);
  });

  test('list-multi is a checkbox per option, the chosen ones selected', () => {
    expect(fieldDraft(BROADCAST)).toMatchObject({
      control: 'checkboxes',
      selected: ['participant', 'moderator'],
      options: BROADCAST.options,
    });
  });

  test('fixed and hidden keep nothing to edit; an unknown type is text (§3.3 default)', () => {
    expect(fieldDraft(formField('', 'fixed', { values: ['Note'] })).control).toBe('fixed');
    expect(fieldDraft(formField('FORM_TYPE', 'hidden')).control).toBe('hidden');
    expect(fieldDraft(formField('x', 'text-fancy', { values: ['v'] }))).toMatchObject({
      control: 'text',
      value: 'v',
    });
  });
});

describe('draftValues: what a field submits', () => {
  test('untouched, every field submits what the form came with; booleans as "1" or "0"', () => {
    const fields = [
      formField('name', 'text-single', { values: ['Dev'] }),
      formField('secret', 'text-private', { values: ['s3cret'] }),
      formField('admins', 'jid-multi', { values: ['bob@example.org', 'carol@example.org'] }),
      formField('desc', 'text-multi', { values: ['line one', '', 'line three'] }),
      formField('persistent', 'boolean', { values: ['true'] }),
      formField('public', 'boolean', { values: ['false'] }),
      WHOIS,
      BROADCAST,
      formField('FORM_TYPE', 'hidden', { values: ['http://jabber.org/protocol/muc#roomconfig'] }),
    ];
    expect(fields.map((f) => draftValues(fieldDraft(f)))).toEqual([
      ['Dev'],
      ['s3cret'],
      ['bob@example.org', 'carol@example.org'],
      ['line one', '', 'line three'],
      ['1'],
      ['0'],
      ['moderators'],
      ['participant', 'moderator'],
      ['http://jabber.org/protocol/muc#roomconfig'],
    ]);
  });

  test('fixed text is not submitted', () => {
    expect(draftValues(fieldDraft(formField('', 'fixed', { values: ['Note'] })))).toBeNull();
  });

  test('clearing a text sends an empty value, so the other end forgets it; empty from the start sends none', () => {
    const name = fieldDraft(formField('name', 'text-single', { values: ['Dev'] }));
    expect(draftValues(edited(name, { value: '' }))).toEqual(['']);
    expect(draftValues(fieldDraft(formField('name', 'text-single')))).toEqual([]);
    expect(draftValues(fieldDraft(formField('secret', 'text-private')))).toEqual([]);
  });

  test('text is sent as typed, but a JID without stray spaces', () => {
    const name = fieldDraft(formField('name', 'text-single'));
    expect(draftValues(edited(name, { value: '  Dev team ' }))).toEqual(['  Dev team ']);
    const owner = fieldDraft(formField('owner', 'jid-single'));
    expect(draftValues(edited(owner, { value: ' bob@example.org ' }))).toEqual(['bob@example.org']);
  });

  test('lines are values; JIDs one a line skip blank lines and spaces', () => {
    const admins = fieldDraft(formField('admins', 'jid-multi'));
    expect(draftValues(edited(admins, { value: ' bob@example.org\r\n\n carol@example.org \n' }))).toEqual([
      'bob@example.org',
      'carol@example.org',
    ]);
    const desc = fieldDraft(formField('desc', 'text-multi'));
    expect(draftValues(edited(desc, { value: 'one\n\nthree' }))).toEqual(['one', '', 'three']);
    expect(draftValues(edited(desc, { value: '' })), 'an empty box is no lines').toEqual([]);
  });

  test('a checkbox turned off or on', () => {
    const persistent = fieldDraft(formField('persistent', 'boolean', { values: ['1'] }));
    expect(draftValues(edited(persistent, { checked: false }))).toEqual(['0']);
    expect(draftValues(edited(persistent, { checked: true }))).toEqual(['1']);
  });

  test('a list-single without a choice sends none, unless the empty value is an option', () => {
    const bare = fieldDraft({ ...WHOIS, values: [] });
    expect(draftValues(bare)).toEqual([]);
    const withEmpty = fieldDraft({ ...WHOIS, values: [], options: [{ label: 'None', value: '' }] });
    expect(draftValues(withEmpty)).toEqual(['']);
    expect(draftValues(edited(fieldDraft(WHOIS), { value: 'anyone' }))).toEqual(['anyone']);
  });
});

describe('toggleOption', () => {
  test('adds or removes a value, keeping the options’ order', () => {
    const options = BROADCAST.options;
    expect(toggleOption(options, ['participant'], 'moderator', true)).toEqual(['moderator', 'participant']);
    expect(toggleOption(options, ['moderator', 'participant'], 'moderator', false)).toEqual(['participant']);
    expect(toggleOption(options, ['visitor'], 'visitor', true), 'no duplicates').toEqual(['visitor']);
  });
});

describe('submittedValues', () => {
  test('every field but the fixed ones, in order; hidden ones unchanged; edits applied', () => {
    const drafts = formDrafts(roomConfigForm());
    const next = drafts.map((d) => {
      if (d.control === 'text' && d.field.var === 'muc#roomconfig_roomname') return { ...d, value: 'Dev team' };
      if (d.control === 'checkbox') return { ...d, checked: false };
      return d;
    });
    expect(submittedValues(next)).toEqual([
      { var: 'FORM_TYPE', values: ['http://jabber.org/protocol/muc#roomconfig'] },
      { var: 'muc#roomconfig_roomname', values: ['Dev team'] },
      { var: 'muc#roomconfig_persistentroom', values: ['0'] },
      { var: 'muc#roomconfig_whois', values: ['moderators'] },
      { var: 'muc#roomconfig_roomsecret', values: [] },
    ]);
  });

  test('a field without a name cannot be submitted and is left out', () => {
    expect(submittedValues([fieldDraft(formField('', 'text-single', { values: ['x'] }))])).toEqual([]);
  });
});

describe('labels', () => {
  test('a field is called by its label, or by its name without one', () => {
    expect(fieldLabel(formField('muc#roomconfig_roomname', 'text-single', { label: 'Title' }))).toBe('Title');
    expect(fieldLabel(formField('muc#roomconfig_roomname', 'text-single', { label: null }))).toBe(
      'muc#roomconfig_roomname',
    );
    expect(fieldLabel(formField('x', 'text-single', { label: '  ' }))).toBe('x');
  });

  test('an option is called by its label, or by its value', () => {
    expect(optionLabel({ label: 'Anyone', value: 'anyone' })).toBe('Anyone');
    expect(optionLabel({ label: null, value: 'anyone' })).toBe('anyone');
  });
});

describe('missingRequired', () => {
  test('the required fields with nothing typed or chosen, in order', () => {
    const drafts = formDrafts({
      fields: [
        formField('FORM_TYPE', 'hidden', { required: true, values: ['jabber:iq:register'] }),
        formField('', 'fixed', { values: ['Choose a user name'] }),
        formField('username', 'text-single', { required: true }),
        formField('password', 'text-private', { required: true }),
        formField('email', 'text-single'),
        formField('tos', 'boolean', { required: true }),
        formField('colour', 'list-single', { required: true, options: [{ label: 'Red', value: 'red' }] }),
        formField('roles', 'list-multi', { required: true, options: [{ label: 'A', value: 'a' }] }),
      ],
    });
    expect(missingRequired(drafts).map((f) => f.var)).toEqual(['username', 'password', 'colour', 'roles']);

    const filled = drafts.map((d) => {
      if (d.control === 'text' || d.control === 'password') return { ...d, value: d.field.var === 'username' ? 'alice' : 's' };
      if (d.control === 'select') return { ...d, value: 'red' };
      if (d.control === 'checkboxes') return { ...d, selected: ['a'] };
      return d;
    });
    expect(missingRequired(filled)).toEqual([]);
  });

  test('spaces alone are no value', () => {
    const name = fieldDraft(formField('username', 'text-single', { required: true }));
    expect(missingRequired([edited(name, { value: '  ' })]).map((f) => f.var)).toEqual(['username']);
  });
});
