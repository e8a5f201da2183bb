// IPC types shared with the Rust side (src-tauri).
//
// These are hand-written mirrors of the Rust view types and event payloads. They will be
// replaced by TypeScript bindings generated from the Rust types (ts-rs) and committed; until
// then, any change to a Rust view type must be mirrored here by hand.
//
// Conventions:
// - Struct fields are snake_case, exactly as serde serialises the Rust structs.
// - Command *arguments* are camelCase on this side (Tauri maps `account_id` in a Rust command
//   signature to `accountId` in the JS invoke payload). See `Commands` below.
// - Times are unix milliseconds (number).

/** Stable error codes. The UI branches on these, never on the English `message`. */
export type ErrorCode =
  | 'auth_failed'
  | 'certificate_untrusted'
  | 'conflict'
  | 'stream_error'
  | 'network'
  | 'invalid_jid'
  | 'keyring_unavailable'
  | 'password_missing'
  | 'account_exists'
  | 'unknown_account'
  | 'not_connected'
  | 'server_error'
  | 'internal';

/** Every `ErrorCode`, for runtime validation. */
export const ERROR_CODES: readonly ErrorCode[] = [
  'auth_failed',
  'certificate_untrusted',
  'conflict',
  'stream_error',
  'network',
  'invalid_jid',
  'keyring_unavailable',
  'password_missing',
  'account_exists',
  'unknown_account',
  'not_connected',
  'server_error',
  'internal',
];

/** What every command rejects with. */
export interface IpcError {
  code: ErrorCode;
  message: string;
}

/** The server certificate that was refused, so the user can decide whether to trust it. */
export interface CertificateInfo {
  /** SHA-256 of the DER certificate; passed back verbatim to `trust_certificate`. */
  sha256: string;
  /** The certificate subject, human-readable. */
  subject: string;
}

/** Connection state of one account (`#[serde(tag = "kind", rename_all = "snake_case")]`). */
export type ConnectionState =
  | { kind: 'offline' }
  | { kind: 'connecting' }
  | { kind: 'online' }
  | { kind: 'reconnecting'; attempt: number; retry_in_secs: number }
  | {
      kind: 'error';
      code: ErrorCode;
      message: string;
      /** Present when `code` is `certificate_untrusted`. */
      cert?: CertificateInfo | null;
    };

export interface AccountView {
  id: number;
  /** Bare JID. */
  jid: string;
  enabled: boolean;
  state: ConnectionState;
}

export interface AddAccountRequest {
  /** Bare JID, e.g. `you@example.org`. */
  jid: string;
  password: string;
  /** Overrides SRV lookup when set. */
  host?: string | null;
  port?: number | null;
  /** XEP-0368: connect with TLS from the first byte instead of STARTTLS. */
  direct_tls: boolean;
}

export type PresenceShow = 'available' | 'away' | 'xa' | 'dnd' | 'chat' | 'offline';

/** What the user can set as their own presence (`set_presence`); "offline" is Disable instead. */
export type OwnShow = Exclude<PresenceShow, 'offline'>;

export interface Presence {
  show: PresenceShow;
  status: string | null;
}

export interface ContactView {
  account_id: number;
  /** Bare JID of the roster item. */
  jid: string;
  /** Roster name, if the user or the server set one. */
  name: string | null;
  groups: string[];
  /** Roster subscription: "none" | "to" | "from" | "both" | "remove" (RFC 6121 §2.1.2.5). */
  subscription: string;
  /** Our own subscription request to this contact is pending (RFC 6121 §3.1.2, `ask`). */
  ask: boolean;
  presence: Presence;
}

/** An inbound subscription request not answered yet (RFC 6121 §3.1.3). */
export interface SubscriptionRequestView {
  account_id: number;
  /** Bare JID of whoever asks to see our presence. */
  jid: string;
  /** The optional text sent with the request: a peer's words, render as text. */
  status: string | null;
  /** Unix ms. */
  received_at: number;
}

export interface ConversationView {
  account_id: number;
  /** Bare JID of the other party. */
  peer: string;
  last_body: string | null;
  /** Unix ms of the last message. */
  last_at: number;
  unread: number;
}

export type MessageState = 'pending' | 'sent' | 'delivered' | 'displayed' | 'failed' | 'received';

export interface MessageView {
  /** Local database id; stable, unique across accounts. */
  id: number;
  account_id: number;
  /** Bare JID of the other party. */
  peer: string;
  outgoing: boolean;
  /** Plain text as sent by a peer: always render as text, never as HTML. */
  body: string;
  /** Unix ms. */
  at: number;
  state: MessageState;
  /** Why sending failed, when `state` is `failed`. */
  error: string | null;
}

/**
 * Every command: its JS-side arguments (camelCase keys) and its result.
 *
 * `load_messages.before` is the `id` of the oldest message the UI already holds; the backend
 * returns up to `limit` messages older than it (any order; the UI sorts by `at`, then `id`).
 * `null` means "the newest page".
 */
export interface Commands {
  list_accounts: { args: Record<string, never>; result: AccountView[] };
  add_account: { args: { request: AddAccountRequest }; result: AccountView };
  remove_account: { args: { accountId: number }; result: null };
  set_account_enabled: { args: { accountId: number; enabled: boolean }; result: null };
  trust_certificate: { args: { accountId: number; sha256: string }; result: null };
  list_contacts: { args: { accountId: number }; result: ContactView[] };
  list_conversations: { args: Record<string, never>; result: ConversationView[] };
  load_messages: {
    args: { accountId: number; peer: string; before: number | null; limit: number };
    result: MessageView[];
  };
  send_message: { args: { accountId: number; to: string; body: string }; result: MessageView };
  mark_read: { args: { accountId: number; peer: string }; result: null };
  /** Which conversation is on screen (both null for none); the shell skips its notifications. */
  set_active_conversation: { args: { accountId: number | null; peer: string | null }; result: null };
  set_presence: {
    args: { accountId: number; show: OwnShow; status: string | null };
    result: null;
  };
  /** Adds a roster item and sends a subscription request. */
  add_contact: {
    args: { accountId: number; jid: string; name: string | null; groups: string[] };
    result: null;
  };
  remove_contact: { args: { accountId: number; jid: string }; result: null };
  list_subscription_requests: { args: { accountId: number }; result: SubscriptionRequestView[] };
  /** Approves a request and subscribes back, so both see each other. */
  approve_subscription: { args: { accountId: number; jid: string }; result: null };
  deny_subscription: { args: { accountId: number; jid: string }; result: null };
  /** Stores a new password in the keyring and reconnects. */
  set_password: { args: { accountId: number; password: string }; result: null };
}

export type CommandName = keyof Commands;

/** Event names and payloads emitted by the backend. */
export interface Events {
  'linnet://account-state': { account_id: number; state: ConnectionState };
  /** A batch of new or updated messages (an update carries an id the UI already has). */
  'linnet://messages': { account_id: number; peer: string; messages: MessageView[] };
  /**
   * Invalidation for one account's roster, contact presence or subscription requests: reload
   * `list_contacts` and `list_subscription_requests`.
   */
  'linnet://roster': { account_id: number };
  /** Invalidation: reload `list_conversations`. */
  'linnet://conversations': Record<string, never>;
}

export type EventName = keyof Events;
