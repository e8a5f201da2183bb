import { describe, expect, test } from 'vitest';
import { formField } from '../../../test/backend';
import { fieldDraft, formDrafts, type FieldDraft } from '../forms/dataForm';
import {
  checkServerDomain,
  confirmsJid,
  newAddress,
  refill,
  registrationAutocomplete,
  registrationServer,
  withLegacyLabels,
} from './registration';

/** `draft` with the user's edit applied. */
function edited<D extends FieldDraft>(draft: D, change: Partial<D>): D {
  return { ...draft, ...change };
}

describe('checkServerDomain', () => {
  test('a domain is fine, spaces around it too', () => {
    expect(checkServerDomain('example.org')).toBeNull();
    expect(checkServerDomain(' jabber.example.org ')).toBeNull();
    expect(checkServerDomain('localhost')).toBeNull();
  });

  test.each([
    ['', 'Enter'],
    ['alice@example.org', 'without a name and @'],
    ['exa mple.org', 'spaces'],
    ['https://example.org', 'Advanced'],
    ['example.org:5222', 'Advanced'],
    ['.example.org', 'not a valid domain'],
    ['example..org', 'not a valid domain'],
  ])('%j is refused in words', (domain, words) => {
    expect(checkServerDomain(domain)).toContain(words);
  });
});

describe('registrationServer', () => {
  test('trims; empty overrides are null', () => {
    expect(registrationServer(' example.org ', ' ', '', false)).toEqual({
      domain: 'example.org',
      host: null,
      port: null,
      direct_tls: false,
    });
    expect(registrationServer('example.org', ' xmpp.example.org ', ' 5223 ', true)).toEqual({
      domain: 'example.org',
      host: 'xmpp.example.org',
      port: 5223,
      direct_tls: true,
    });
  });
});

describe('legacy fields', () => {
  test('known names without a label get words; labels given and unknown names stay', () => {
    const fields = withLegacyLabels([
      formField('username', 'text-single', { label: null }),
      formField('password', 'text-private', { label: ' ' }),
      formField('email', 'text-single', { label: 'Your email' }),
      formField('x-custom', 'text-single', { label: null }),
      formField('constructor', 'text-single', { label: null }),
    ]);
    expect(fields.map((f) => f.label)).toEqual(['User name', 'Password', 'Your email', null, null]);
  });

  test('the browser is told which is the user name and which a new password', () => {
    expect(registrationAutocomplete(formField('username', 'text-single'))).toBe('username');
    expect(registrationAutocomplete(formField('password', 'text-private'))).toBe('new-password');
    expect(registrationAutocomplete(formField('email', 'text-single'))).toBe('email');
    expect(registrationAutocomplete(formField('captcha', 'text-single'))).toBeUndefined();
  });
});

describe('newAddress', () => {
  test('the user name typed at the domain; nothing before one is typed', () => {
    const drafts = formDrafts({ fields: [formField('username', 'text-single')] });
    expect(newAddress(drafts, 'example.net')).toBeNull();
    const typed = drafts.map((d) => (d.control === 'text' ? edited(d, { value: ' alice ' }) : d));
    expect(newAddress(typed, 'example.net')).toBe('alice@example.net');
    expect(newAddress([], 'example.net'), 'a form without a user name').toBeNull();
  });
});

describe('refill', () => {
  test('a new form takes what was typed in the expired one, by name and control', () => {
    const earlier = [
      edited(fieldDraft(formField('username', 'text-single')), { value: 'alice' }),
      edited(fieldDraft(formField('password', 'text-private')), { value: 'pw' }),
      edited(fieldDraft(formField('tos', 'boolean')), { checked: true }),
      edited(fieldDraft(formField('gone', 'text-single')), { value: 'x' }),
      edited(fieldDraft(formField('colour', 'list-single', { options: [{ label: null, value: 'red' }] })), {
        value: 'red',
      }),
    ];
    const fresh = formDrafts({
      fields: [
        formField('FORM_TYPE', 'hidden', { values: ['jabber:iq:register'] }),
        formField('challenge', 'hidden', { values: ['new'] }),
        formField('username', 'text-single'),
        formField('password', 'text-private'),
        formField('tos', 'boolean'),
        formField('colour', 'list-single', { options: [{ label: null, value: 'blue' }] }),
      ],
    });
    const refilled = refill(fresh, earlier);
    expect(refilled.map((d) => ('value' in d ? d.value : 'checked' in d ? d.checked : d.field.values))).toEqual([
      ['jabber:iq:register'],
      ['new'],
      'alice',
      'pw',
      true,
      '',
    ]);
  });
});

describe('confirmsJid', () => {
  test('the JID as typed, in any case, spaces around it ignored', () => {
    expect(confirmsJid(' Alice@Example.org ', 'alice@example.org')).toBe(true);
    expect(confirmsJid('alice', 'alice@example.org')).toBe(false);
    expect(confirmsJid('', 'alice@example.org')).toBe(false);
  });
});
