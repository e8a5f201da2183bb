// Sending files dragged onto the open chat. Tauri reports drag and drop over the webview
// (`subscribeDragDrop`): while files are dragged over it, the chat is highlighted (`over`); a
// drop sends each file to the chat (`send_file` with the dropped path), one after the other in
// the order dropped. The chat view starts it while it has a composer, and stops it (unsubscribes)
// when it goes.

import { subscribeDragDrop, type DragDropEvent, type UnlistenFn } from '../../ipc';

export interface FileDropOptions {
  /** Whether files may be dropped now (not in a room we left: nothing can be sent there). */
  accepts?: () => boolean;
  /** Sends one dropped file (its path); a rejection goes to `onError`. */
  send: (path: string) => Promise<unknown>;
  onError: (error: unknown) => void;
  /** Subscribes to drag and drop (the webview's, by default). */
  subscribe?: (handler: (event: DragDropEvent) => void) => Promise<UnlistenFn>;
}

export class FileDrop {
  /** Files are being dragged over the window: highlight the chat as the place to drop them. */
  over = $state(false);

  readonly #options: FileDropOptions;
  #unlisten: UnlistenFn | null = null;
  #stopped = false;
  /** Whether the drag under way carries files (`enter` says); null before it did. */
  #files: boolean | null = null;

  constructor(options: FileDropOptions) {
    this.#options = options;
  }

  /** Subscribes; `stop` undoes it, even while the subscription is still being made. */
  async start(): Promise<void> {
    const subscribe = this.#options.subscribe ?? subscribeDragDrop;
    try {
      const unlisten = await subscribe((event) => this.handle(event));
      if (this.#stopped) quietly(unlisten);
      else this.#unlisten = unlisten;
    } catch (error) {
      // Without drag and drop, files can still be attached or pasted.
      console.warn('Linnet: no drag and drop', error);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.over = false;
    const unlisten = this.#unlisten;
    this.#unlisten = null;
    if (unlisten) quietly(unlisten);
  }

  /** One drag and drop event: `enter` and `over` highlight, `leave` ends it, `drop` sends. */
  handle(event: DragDropEvent): void {
    if (this.#stopped) return;
    if (this.#options.accepts && !this.#options.accepts()) {
      this.#files = null;
      this.over = false;
      return;
    }
    switch (event.type) {
      case 'enter':
        // Dragging something that is not a file (text from another app) drops nothing here.
        this.#files = event.paths.length > 0;
        this.over = this.#files;
        break;
      case 'over':
        // No paths: a drag whose `enter` was missed (the chat opened meanwhile) counts as files.
        this.over = this.#files ?? true;
        break;
      case 'leave':
        this.#files = null;
        this.over = false;
        break;
      case 'drop':
        this.#files = null;
        this.over = false;
        void this.#sendAll(event.paths);
        break;
    }
  }

  async #sendAll(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      try {
        await this.#options.send(path);
      } catch (error) {
        this.#options.onError(error);
      }
    }
  }
}

/** Tauri's unlisten functions are async: a failure on teardown does no harm. */
function quietly(unlisten: UnlistenFn): void {
  try {
    const result: unknown = unlisten();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // See above.
  }
}
