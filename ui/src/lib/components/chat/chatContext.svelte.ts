// What the parts of one open chat share (ChatView creates it, its message rows and composer
// use it): the message being answered or edited, the message briefly highlighted, the long
// messages expanded, what to call people, and the chat-wide helpers (scroll to a message, the
// emoji picker, the delete dialog), which ChatView provides once its list and dialogs are
// mounted.

import { createContext } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import type { MessageView, ReplyView } from '../../ipc';
import type { PendingFile } from './SendFilesDialog.svelte';

/** How long a message shown from a reply quote or a search hit stays highlighted. */
export const HIGHLIGHT_MS = 3000;

export type DeleteMode = 'retract' | 'moderate';

export interface ChatPeople {
  /** The chat has a composer (not a room we left): replies and edits can be written. */
  canCompose: () => boolean;
  /** We are a moderator of the room (XEP-0045 §5.1): we may delete others' messages. */
  canModerate: () => boolean;
  /** Who wrote a message: "You", the occupant's nick, the contact's name. */
  author: (message: MessageView) => string;
  /** The name a /me action starts with (XEP-0245): nicks in rooms, ours included. */
  actor: (message: MessageView) => string;
  /** Whom a reply answers, from the name it gives (a nick or a bare JID). */
  replied: (reply: ReplyView) => string;
  /** Who is typing: a nick, or null for the partner of a one-to-one chat. */
  typist: (sender: string | null) => string;
  /** A name in a reaction's senders: "You" for ours, the contact's name for theirs. */
  reactor: (name: string) => string;
}

export class ChatContext {
  /** The message the composer answers (XEP-0461), if any. */
  replyTo: MessageView | null = $state(null);
  /** Our message the composer corrects (XEP-0308), if any. */
  editing: MessageView | null = $state(null);
  /** A message just scrolled to from a reply quote or a search hit. */
  highlighted: number | null = $state(null);
  /**
   * Long messages shown whole ("Show more"), by id: remembered while their rows scroll out of
   * the virtual list and back.
   */
  readonly expanded = new SvelteSet<number>();

  readonly people: ChatPeople;

  /** Scrolls the list to a loaded message; false when it is not loaded. Set by ChatView. */
  scrollTo: (id: number) => boolean = () => false;
  /** Opens the emoji picker by `anchor`; `onPick` gets the chosen emoji. Set by ChatView. */
  pickEmoji: (anchor: HTMLElement, onPick: (emoji: string) => void) => void = () => undefined;
  /** Asks to confirm deleting a message (ours, or as a moderator). Set by ChatView. */
  confirmDelete: (message: MessageView, mode: DeleteMode) => void = () => undefined;
  /** Shows files about to be sent, to confirm (SendFilesDialog). Set by ChatView. */
  offerFiles: (files: readonly PendingFile[]) => void = () => undefined;
  /** Puts the focus in the composer. Set by Composer. */
  focusComposer: () => void = () => undefined;

  #highlightTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(people: ChatPeople) {
    this.people = people;
  }

  get canModerate(): boolean {
    return this.people.canModerate();
  }

  get canCompose(): boolean {
    return this.people.canCompose();
  }

  /** Answer `message` with the next one sent (and stop editing). */
  reply(message: MessageView): void {
    this.editing = null;
    this.replyTo = message;
    this.focusComposer();
  }

  /** Correct our `message` in the composer (and stop answering). */
  edit(message: MessageView): void {
    this.replyTo = null;
    this.editing = message;
    this.focusComposer();
  }

  cancelReply(): void {
    this.replyTo = null;
  }

  cancelEdit(): void {
    this.editing = null;
  }

  /** Scrolls to a message and highlights it for a moment; false when it is not loaded. */
  show(id: number): boolean {
    if (!this.scrollTo(id)) return false;
    this.highlighted = id;
    clearTimeout(this.#highlightTimer);
    this.#highlightTimer = setTimeout(() => {
      if (this.highlighted === id) this.highlighted = null;
    }, HIGHLIGHT_MS);
    return true;
  }

  dispose(): void {
    clearTimeout(this.#highlightTimer);
  }
}

const [getChatContext, setChatContext] = createContext<ChatContext>();

export { getChatContext, setChatContext };
