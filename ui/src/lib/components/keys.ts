// Small keyboard helpers shared by components.

import type { Attachment } from 'svelte/attachments';

/** Attachment: Escape pressed anywhere inside the element calls `handler` (e.g. Cancel). */
export function onEscape(handler: () => void): Attachment<HTMLElement> {
  return (node) => {
    const listener = (event: KeyboardEvent): void => {
      if (event.key !== 'Escape') return;
      event.preventDefault();
      event.stopPropagation();
      handler();
    };
    node.addEventListener('keydown', listener);
    return () => node.removeEventListener('keydown', listener);
  };
}

/** Attachment: focuses the element once it is mounted. */
export const focusOnMount: Attachment<HTMLElement> = (node) => {
  node.focus();
};
