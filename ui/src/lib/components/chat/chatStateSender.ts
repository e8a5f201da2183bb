// Our own chat states for one conversation (XEP-0085 §5.1), from what the user does in its
// composer: `composing` when they start typing, `paused` after `PAUSED_AFTER_MS` without
// typing, `active` once the message is sent or the composer emptied, `inactive` when the chat
// loses the focus (another window, another conversation), `active` when it gets it back. Only a
// change is sent, never the same state twice in a row, and nothing before the user typed.

import type { ChatStateName } from '../../ipc';

/** Typing stopped this long ago counts as `paused`. */
export const PAUSED_AFTER_MS = 5000;

export class ChatStateSender {
  #state: ChatStateName | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #send: (state: ChatStateName) => void;
  readonly #pausedAfter: number;

  constructor(send: (state: ChatStateName) => void, pausedAfterMs = PAUSED_AFTER_MS) {
    this.#send = send;
    this.#pausedAfter = pausedAfterMs;
  }

  /** The last state sent, null before the first. */
  get state(): ChatStateName | null {
    return this.#state;
  }

  /** The composer's text changed: `hasText` is false once it is empty. */
  input(hasText: boolean): void {
    this.#stopTimer();
    if (!hasText) {
      if (this.#state === 'composing' || this.#state === 'paused') this.#set('active');
      return;
    }
    this.#set('composing');
    this.#timer = setTimeout(() => this.#set('paused'), this.#pausedAfter);
  }

  /** The message went out. */
  sent(): void {
    this.#stopTimer();
    this.#set('active');
  }

  /** The chat lost the focus, or is being closed. */
  blur(): void {
    this.#stopTimer();
    if (this.#state !== null) this.#set('inactive');
  }

  /** The chat has the focus again. */
  focus(): void {
    if (this.#state === 'inactive') this.#set('active');
  }

  #set(state: ChatStateName): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#send(state);
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
