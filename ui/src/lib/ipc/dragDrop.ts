// Files dragged onto the window. Tauri takes drag and drop from the webview (HTML drop events
// do not fire) and reports it as webview events, with the dropped files' paths; the shell
// records those paths as given by the user, so `send_file` may send them.

import type { UnlistenFn } from '@tauri-apps/api/event';
import { getCurrentWebview, type DragDropEvent } from '@tauri-apps/api/webview';

export type { DragDropEvent };

/**
 * Subscribes `handler` to drag and drop over this webview (`enter` and `drop` with the paths,
 * `over` as the pointer moves, `leave`); resolves to the function that unsubscribes. Outside
 * Tauri (a browser, a test without a mocked window) nothing is dragged: a no-op.
 */
export async function subscribeDragDrop(handler: (event: DragDropEvent) => void): Promise<UnlistenFn> {
  let webview: ReturnType<typeof getCurrentWebview>;
  try {
    webview = getCurrentWebview();
  } catch {
    return () => undefined;
  }
  return webview.onDragDropEvent((event) => handler(event.payload));
}
