// Files dragged onto the chat: the highlight, sending each dropped file, and unsubscribing.
import { describe, expect, test, vi } from 'vitest';
import type { DragDropEvent } from '../../ipc';
import { FileDrop } from './fileDrop.svelte';

const position = { x: 1, y: 2 } as unknown as Extract<DragDropEvent, { type: 'over' }>['position'];

/** A drag and drop source the test drives; `unlisten` counts the unsubscriptions. */
function source(): {
  subscribe: (handler: (event: DragDropEvent) => void) => Promise<() => void>;
  fire: (event: DragDropEvent) => void;
  unlisten: ReturnType<typeof vi.fn>;
  release: () => void;
} {
  let handler: ((event: DragDropEvent) => void) | null = null;
  const unlisten = vi.fn();
  let release: () => void = () => undefined;
  const ready = new Promise<void>((r) => (release = r));
  return {
    subscribe: async (h) => {
      await ready;
      handler = h;
      return unlisten;
    },
    fire: (event) => handler?.(event),
    unlisten,
    release: () => release(),
  };
}

describe('FileDrop', () => {
  test('enter and over highlight, leave ends it; a drop sends each file in order', async () => {
    const drag = source();
    const sent: string[] = [];
    const drop = new FileDrop({ send: async (path) => void sent.push(path), onError: () => undefined, subscribe: drag.subscribe });
    const started = drop.start();
    drag.release();
    await started;

    drag.fire({ type: 'enter', paths: ['/a'], position });
    expect(drop.over).toBe(true);
    drag.fire({ type: 'over', position });
    expect(drop.over).toBe(true);
    drag.fire({ type: 'leave' });
    expect(drop.over).toBe(false);
    drag.fire({ type: 'over', position });
    expect(drop.over, 'a drag whose enter was missed').toBe(true);

    drag.fire({ type: 'drop', paths: ['/a.png', '/b.pdf'], position });
    expect(drop.over).toBe(false);
    await vi.waitFor(() => expect(sent).toEqual(['/a.png', '/b.pdf']));
  });

  test('a drag without files (text) highlights nothing', async () => {
    const drag = source();
    const drop = new FileDrop({ send: async () => undefined, onError: () => undefined, subscribe: drag.subscribe });
    drag.release();
    await drop.start();
    drag.fire({ type: 'enter', paths: [], position });
    drag.fire({ type: 'over', position });
    expect(drop.over).toBe(false);
  });

  test('a file that cannot be sent is reported; the next ones still go', async () => {
    const drag = source();
    const errors: unknown[] = [];
    const sent: string[] = [];
    const drop = new FileDrop({
      send: async (path) => {
        if (path === '/bad') throw { code: 'not_found', message: 'no' };
        sent.push(path);
      },
      onError: (e) => errors.push(e),
      subscribe: drag.subscribe,
    });
    drag.release();
    await drop.start();
    drag.fire({ type: 'drop', paths: ['/bad', '/good'], position });
    await vi.waitFor(() => expect(sent).toEqual(['/good']));
    expect(errors).toEqual([{ code: 'not_found', message: 'no' }]);
  });

  test('nothing is taken while it does not accept drops (a room left)', async () => {
    const drag = source();
    const send = vi.fn(async () => undefined);
    const drop = new FileDrop({ accepts: () => false, send, onError: () => undefined, subscribe: drag.subscribe });
    drag.release();
    await drop.start();
    drag.fire({ type: 'enter', paths: ['/a'], position });
    expect(drop.over).toBe(false);
    drag.fire({ type: 'drop', paths: ['/a'], position });
    expect(send).not.toHaveBeenCalled();
  });

  test('stop unsubscribes, also when the subscription arrives after it', async () => {
    const late = source();
    const send = vi.fn(async () => undefined);
    const first = new FileDrop({ send, onError: () => undefined, subscribe: late.subscribe });
    const started = first.start();
    first.stop();
    late.release();
    await started;
    expect(late.unlisten).toHaveBeenCalledTimes(1);
    late.fire({ type: 'drop', paths: ['/a'], position });
    expect(send).not.toHaveBeenCalled();

    const drag = source();
    const second = new FileDrop({ send, onError: () => undefined, subscribe: drag.subscribe });
    drag.release();
    await second.start();
    drag.fire({ type: 'enter', paths: ['/a'], position });
    second.stop();
    expect(drag.unlisten).toHaveBeenCalledTimes(1);
    expect(second.over).toBe(false);
  });
});
