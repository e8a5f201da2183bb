// XEP-0077 in-band registration, the pure part. Creating an account (CreateAccountForm.svelte):
// checking the server's domain, where to connect, words for the legacy fields a server asks
// for, the browser's autofill hints, the address the account will have. Changing the password
// and deleting the account on the server (AccountOnServer.svelte): words for what went wrong,
// the typed confirmation. Pure: no Svelte, no IPC.

import type { ErrorCode, FormField, RegistrationServer } from '../../ipc';
import type { FieldDraft } from '../forms/dataForm';
import { errorAdvice } from './describe';

/**
 * Client-side sanity check of the server's domain (`example.org`): not empty, no name and @,
 * no spaces, no scheme, path or port. The server has the last word. Returns an error message,
 * or null when it looks fine.
 */
export function checkServerDomain(domain: string): string | null {
  const trimmed = domain.trim();
  if (!trimmed) return "Enter the server's domain, like example.org.";
  if (trimmed.includes('@')) {
    return 'Enter only the server’s domain, without a name and @: like example.org. You choose the name in the next step.';
  }
  if (/\s/.test(trimmed)) return 'A domain cannot contain spaces.';
  if (/[/:]/.test(trimmed)) {
    return 'Enter only the domain, like example.org. A host or port goes under Advanced.';
  }
  if (trimmed.startsWith('.') || trimmed.endsWith('.') || trimmed.includes('..')) {
    return 'That is not a valid domain name.';
  }
  return null;
}

/** What `registration_form` is asked with: the domain and the Advanced overrides, trimmed. */
export function registrationServer(
  domain: string,
  host: string,
  port: string,
  directTls: boolean,
): RegistrationServer {
  const trimmedHost = host.trim();
  const trimmedPort = port.trim();
  return {
    domain: domain.trim(),
    host: trimmedHost ? trimmedHost : null,
    port: trimmedPort ? Number(trimmedPort) : null,
    direct_tls: directTls,
  };
}

/** Words for the fields of a legacy sign-up form (XEP-0077 §14.1), which come without labels. */
const LEGACY_LABELS: ReadonlyMap<string, string> = new Map(Object.entries({
  username: 'User name',
  nick: 'Nickname',
  password: 'Password',
  name: 'Full name',
  first: 'First name',
  last: 'Last name',
  email: 'Email',
  address: 'Street address',
  city: 'City',
  state: 'State or region',
  zip: 'Postal code',
  phone: 'Phone',
  url: 'Web page',
  date: 'Date',
  misc: 'Other information',
  text: 'Text',
  key: 'Key',
}));

/** The fields, those known to XEP-0077 without a label given one (the others as they came). */
export function withLegacyLabels(fields: readonly FormField[]): FormField[] {
  return fields.map((field) => {
    const words = LEGACY_LABELS.get(field.var);
    return !field.label?.trim() && words ? { ...field, label: words } : field;
  });
}

/** The browser's autofill hint for a sign-up field: the user name, a new password, email... */
export function registrationAutocomplete(field: FormField): AutoFill | undefined {
  switch (field.var) {
    case 'username':
      return 'username';
    case 'password':
      return 'new-password';
    case 'email':
      return 'email';
    case 'name':
      return 'name';
    case 'first':
      return 'given-name';
    case 'last':
      return 'family-name';
    case 'phone':
      return 'tel';
    default:
      return undefined;
  }
}

/** The Jabber ID the account will have: the user name typed, @, the domain; null before. */
export function newAddress(drafts: readonly FieldDraft[], domain: string): string | null {
  const username = drafts.find((d) => d.field.var === 'username');
  if (username?.control !== 'text') return null;
  const name = username.value.trim();
  return name ? `${name}@${domain}` : null;
}

/**
 * The drafts of a form fetched again (the first one expired) with what the user had typed in
 * the earlier one: fields of the same name and control take its value; hidden fields (a new
 * session's, say a CAPTCHA challenge) and fixed text stay as the server sent them.
 */
export function refill(fresh: readonly FieldDraft[], earlier: readonly FieldDraft[]): FieldDraft[] {
  return fresh.map((draft) => {
    const old = earlier.find((e) => e.field.var === draft.field.var && e.control === draft.control);
    if (!old || draft.field.var === '') return draft;
    switch (draft.control) {
      case 'text':
      case 'password':
      case 'lines':
        return old.control === draft.control ? { ...draft, value: old.value } : draft;
      case 'checkbox':
        return old.control === 'checkbox' ? { ...draft, checked: old.checked } : draft;
      case 'select':
        return old.control === 'select' && draft.options.some((o) => o.value === old.value)
          ? { ...draft, value: old.value }
          : draft;
      case 'checkboxes': {
        if (old.control !== 'checkboxes') return draft;
        const offered = new Set(draft.options.map((o) => o.value));
        return { ...draft, selected: old.selected.filter((v) => offered.has(v)) };
      }
      default:
        return draft;
    }
  });
}

/** What went wrong asking a server for its sign-up form, in words. */
export function formErrorAdvice(code: ErrorCode): string {
  switch (code) {
    case 'server_error':
      return 'The server does not let you create an account from here. Its words are below; many servers ask you to sign up on their web page instead.';
    case 'certificate_untrusted':
      return "The server's certificate is not trusted, so Linnet sent it nothing. Check the domain (and the host under Advanced), or pick another server.";
    case 'network':
      return "Can't reach the server. Check your internet connection and the domain; if you set a host or port under Advanced, check those too.";
    default:
      return errorAdvice(code);
  }
}

/** What went wrong sending the sign-up form, in words. */
export function registerErrorAdvice(code: ErrorCode): string {
  switch (code) {
    case 'server_error':
      return 'The server did not create the account. Change what it says below and try again.';
    case 'not_found':
      return 'The sign-up form expired before it was sent, and no account was created. Continue to get a new one; what you typed is kept.';
    default:
      return errorAdvice(code);
  }
}

/** What went wrong changing the password on the server, in words. */
export function changePasswordAdvice(code: ErrorCode): string {
  switch (code) {
    case 'server_error':
      return 'The server refused to change the password; the old one still works.';
    case 'keyring_unavailable':
      return "The server has the new password, but Linnet could not keep it in the system keyring: it asks for it the next time the account signs in.";
    case 'not_connected':
      return 'The account is not connected. Try again once it is online.';
    default:
      return errorAdvice(code);
  }
}

/** What went wrong deleting the account on the server, in words. */
export function deleteAccountAdvice(code: ErrorCode): string {
  switch (code) {
    case 'server_error':
      return 'The server refused to delete the account; it is still there, and still in Linnet.';
    case 'not_connected':
      return 'The account is not connected, so the server could not be asked. Try again once it is online.';
    default:
      return errorAdvice(code);
  }
}

/** Whether the JID typed to confirm a deletion is the account's (JIDs ignore case). */
export function confirmsJid(typed: string, jid: string): boolean {
  return typed.trim().toLowerCase() === jid.toLowerCase();
}
