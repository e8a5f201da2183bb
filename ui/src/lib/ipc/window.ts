// The native window title. Tauri does not follow document.title, so the unread count is
// also pushed to the window (needs the `core:window:allow-set-title` capability).

import { isTauri } from '@tauri-apps/api/core';
import { getCurrentWindow } from '@tauri-apps/api/window';

let warned = false;

/** Sets the native window title; a no-op outside Tauri (browser, unit tests). */
export async function setWindowTitle(title: string): Promise<void> {
  if (!isTauri()) return;
  try {
    await getCurrentWindow().setTitle(title);
  } catch (error) {
    // Missing permission: document.title is still right, so warn once and carry on.
    if (!warned) console.warn('Linnet: cannot set the window title', error);
    warned = true;
  }
}
