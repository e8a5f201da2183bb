// Words for account errors and connection states. Branch on codes, never on backend text.

import type { ConnectionState, ErrorCode, Route } from '../../ipc';

/**
 * How an online account is connected, in words: the host and port, the address behind them,
 * the kind of TLS and whether DNS (SRV records) pointed there.
 */
export function describeRoute(route: Route): string {
  const tls = route.direct_tls ? 'direct TLS' : 'STARTTLS';
  const found = route.from_srv ? ', found through the domain’s DNS SRV records' : '';
  const address = route.address === `${route.host}:${route.port}` ? '' : ` (${route.address})`;
  const login = route.mechanism
    ? ` Signed in with ${route.mechanism}${route.sasl2 ? ' (SASL2)' : ''}${
        route.mechanism.startsWith('HT-') ? ', this device’s login token, without the password' : ''
      }.`
    : '';
  return `Connected to ${route.host}:${route.port}${address} with ${tls}${found}.${login}`;
}

/** What went wrong, phrased so the user knows what to do next. */
export function errorAdvice(code: ErrorCode): string {
  switch (code) {
    case 'auth_failed':
      return 'The server rejected this password. Check it and try again.';
    case 'certificate_untrusted':
      return "The server's certificate is not trusted. Trust it only if you recognise the fingerprint below (ask the server's admin if unsure).";
    case 'network':
      return "Can't reach the server. Check your internet connection and the address; if you set a host or port under Advanced, check those too.";
    case 'conflict':
      return 'This account is already added, or another session took over this connection.';
    case 'stream_error':
      return 'The server closed the connection with an error. Try again in a moment.';
    case 'invalid_jid':
      return 'That is not a valid Jabber ID. It should look like you@example.org.';
    case 'keyring_unavailable':
      return "Linnet can't use the system keyring to keep the password. Unlock or start your keyring (for example GNOME Keyring or KWallet) and try again, or keep the password for this session only.";
    case 'password_missing':
      return 'No password is stored for this account (a password kept for one session only is forgotten when Linnet quits). Enter it again.';
    case 'plain_not_allowed':
      return 'This server accepts the password only in plain form (PLAIN), so it sees it as typed; it still travels inside the verified, encrypted connection. If you trust this server, allow PLAIN in the account’s connection settings (Edit).';
    case 'login_tampered':
      return 'The login looked tampered with, so Linnet stopped before the password could leak. Someone may be intercepting the connection: try another network, and ask the server’s admin.';
    case 'invalid_proxy':
      return 'Linnet cannot use that proxy. Give a socks5://, socks5h:// or http:// address without a password (passwords stay in the system keyring; for a proxy with one, set ALL_PROXY).';
    case 'account_exists':
      return 'This account is already added.';
    case 'unknown_account':
      return 'This account no longer exists.';
    case 'not_connected':
      return 'The account is not connected. Wait until it is online and try again.';
    case 'server_error':
      return 'The server refused the request.';
    case 'invalid_url':
      return 'Linnet opens only web (http, https), mail (mailto) and XMPP links.';
    case 'not_found':
      return 'That item no longer exists or has changed (for example, the message was already resent). Reload and try again.';
    case 'file':
      return 'The file could not be sent or saved.';
    case 'internal':
      return 'Something went wrong inside Linnet. Try again; if it keeps happening, please report it.';
  }
}

/** Short label for the account list's status line. */
export function stateLabel(state: ConnectionState): string {
  switch (state.kind) {
    case 'offline':
      return 'Offline';
    case 'connecting':
      return 'Connecting…';
    case 'online':
      return 'Online';
    case 'reconnecting':
      return `Reconnecting in ${state.retry_in_secs} s (attempt ${state.attempt})`;
    case 'error':
      return errorLabel(state.code);
  }
}

function errorLabel(code: ErrorCode): string {
  switch (code) {
    case 'auth_failed':
      return 'Wrong password';
    case 'certificate_untrusted':
      return 'Untrusted certificate';
    case 'network':
      return "Can't reach server";
    case 'conflict':
      return 'Signed in elsewhere';
    case 'stream_error':
      return 'Server error';
    case 'invalid_jid':
      return 'Invalid Jabber ID';
    case 'keyring_unavailable':
      return 'Keyring unavailable';
    case 'password_missing':
      return 'Password needed';
    case 'plain_not_allowed':
      return 'Plain password login needs your consent';
    case 'login_tampered':
      return 'Insecure login refused';
    case 'invalid_proxy':
      return 'Proxy not usable';
    case 'account_exists':
      return 'Already added';
    case 'unknown_account':
      return 'Unknown account';
    case 'not_connected':
      return 'Not connected';
    case 'server_error':
      return 'Server refused';
    case 'invalid_url':
      return 'Invalid link';
    case 'not_found':
      return 'Not found';
    case 'file':
      return 'File problem';
    case 'internal':
      return 'Internal error';
  }
}

/**
 * Client-side sanity check of a bare JID: exactly one "@" with something on both sides and no
 * whitespace. The server has the last word (the backend answers `invalid_jid`). `whose` picks
 * the wording: the user's own JID (add account) or a contact's (add contact). Returns an
 * error message, or null when the JID looks fine.
 */
export function checkJid(jid: string, whose: 'own' | 'contact' = 'own'): string | null {
  const example = whose === 'own' ? 'you@example.org' : 'friend@example.org';
  const trimmed = jid.trim();
  if (!trimmed) {
    return whose === 'own'
      ? `Enter your Jabber ID, like ${example}.`
      : `Enter the contact's Jabber ID, like ${example}.`;
  }
  const parts = trimmed.split('@');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    return `A Jabber ID has exactly one @ with a name before it and a server after it, like ${example}.`;
  }
  if (/\s/.test(trimmed)) return 'A Jabber ID cannot contain spaces.';
  return null;
}

/**
 * Client-side check of the address to start a chat with: a bare JID, `name@server` or a bare
 * `server` (a service, say a gateway or a bot on its own domain), without spaces; the server
 * has the last word. Returns an error message, or null when it looks fine.
 */
export function checkChatJid(jid: string): string | null {
  const trimmed = jid.trim();
  if (!trimmed) return 'Enter a Jabber ID, like friend@example.org.';
  if (/\s/.test(trimmed)) return 'A Jabber ID cannot contain spaces.';
  const parts = trimmed.split('@');
  if (parts.length > 2 || parts.some((p) => !p)) {
    return 'A Jabber ID is a name, one @ and a server, like friend@example.org (or just a server).';
  }
  const domain = parts.at(-1) ?? '';
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) {
    return 'The server part of that Jabber ID is not a valid domain name.';
  }
  return null;
}

/** Checks the optional port field; returns an error message or null. */
export function checkPort(port: string): string | null {
  const trimmed = port.trim();
  if (!trimmed) return null;
  if (!/^\d+$/.test(trimmed)) return 'The port is a number between 1 and 65535.';
  const n = Number(trimmed);
  return n >= 1 && n <= 65535 ? null : 'The port is a number between 1 and 65535.';
}

/**
 * What went wrong with a group chat command (join, leave): as `errorAdvice`, but `invalid_jid`
 * is about the room address or the nickname, not the user's own Jabber ID.
 */
export function roomErrorAdvice(code: ErrorCode): string {
  switch (code) {
    case 'invalid_jid':
      return 'That room address or nickname is not valid. A room address looks like room@conference.example.org; a nickname cannot be empty or contain unusual characters.';
    default:
      return errorAdvice(code);
  }
}

/**
 * What went wrong with an invitation to a room: as `errorAdvice`, but `invalid_jid` is about
 * the invitee's Jabber ID (or the room), not the user's own.
 */
export function inviteErrorAdvice(code: ErrorCode): string {
  switch (code) {
    case 'invalid_jid':
      return 'That is not a valid Jabber ID. It should look like friend@example.org.';
    case 'not_connected':
      return 'The account is not connected. Invite them once it is online again.';
    default:
      return errorAdvice(code);
  }
}

/**
 * What went wrong with a room's settings (loading or saving them): as `errorAdvice`, but
 * `server_error` is the room refusing, and `invalid_jid` is about the room or a JID typed in.
 */
export function roomConfigErrorAdvice(code: ErrorCode): string {
  switch (code) {
    case 'server_error':
      return "The room refused. Only the room's owners can change its settings, and the room may not accept every value.";
    case 'invalid_jid':
      return 'That room address, or a Jabber ID in the settings, is not valid. A Jabber ID looks like friend@example.org.';
    case 'not_connected':
      return 'The account is not connected. Try again once it is online.';
    default:
      return errorAdvice(code);
  }
}

/**
 * Client-side sanity check of a room address (a bare JID like room@conference.example.org);
 * the server has the last word. Returns an error message, or null when it looks fine.
 */
export function checkRoomAddress(address: string): string | null {
  const trimmed = address.trim();
  if (!trimmed) return 'Enter the room address, like room@conference.example.org.';
  const parts = trimmed.split('@');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    return 'A room address has exactly one @ with the room name before it and the server after it, like room@conference.example.org.';
  }
  if (/\s/.test(trimmed)) return 'A room address cannot contain spaces.';
  return null;
}

/** Client-side check of a nickname for a room; returns an error message or null. */
export function checkNick(nick: string): string | null {
  return nick.trim() ? null : 'Enter the nickname others will see in the room.';
}
