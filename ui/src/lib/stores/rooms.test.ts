import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, test } from 'vitest';
import { occupant, room } from '../../test/backend';
import type { Occupant, RoomView } from '../ipc';
import { nickHue } from '../format/nickColor';
import {
  RoomsStore,
  compareOccupants,
  defaultNick,
  occupantStanding,
  roomAddress,
  roomName,
} from './rooms.svelte';

describe('room helpers', () => {
  test('a room is called by the local part of its JID', () => {
    expect(roomName('dev@conference.example.org')).toBe('dev');
    expect(roomName('conference.example.org')).toBe('conference.example.org');
    expect(defaultNick('alice@example.org')).toBe('alice');
    expect(defaultNick(undefined)).toBe('');
  });

  test.each([
    ['dev@conference.example.org', 'dev@conference.example.org'],
    [' xmpp:dev@conference.example.org?join ', 'dev@conference.example.org'],
    ['dev@conference.example.org/alice', 'dev@conference.example.org'],
  ])('reads the address %j', (input, expected) => {
    expect(roomAddress(input)).toBe(expected);
  });

  test('occupants: moderators, participants, visitors, then by nickname', () => {
    const sorted = [
      occupant('zed', { role: 'visitor' }),
      occupant('bob'),
      occupant('mod', { role: 'moderator' }),
      occupant('amy'),
    ].sort(compareOccupants);
    expect(sorted.map((o) => o.nick)).toEqual(['mod', 'amy', 'bob', 'zed']);
  });

  test.each([
    [{ role: 'moderator', affiliation: 'owner' }, 'owner, moderator'],
    [{ role: 'moderator', affiliation: 'admin' }, 'admin, moderator'],
    [{ role: 'moderator', affiliation: 'none' }, 'moderator'],
    [{ role: 'participant', affiliation: 'member' }, 'member'],
    [{ role: 'participant', affiliation: 'none' }, ''],
    [{ role: 'visitor', affiliation: 'none' }, 'visitor'],
  ] satisfies [Partial<Occupant>, string][])('standing of %j is %j', (overrides, expected) => {
    expect(occupantStanding(occupant('x', overrides))).toBe(expected);
  });
});

describe('nickname colours', () => {
  test('are the same for the same nickname, differ between most, and are hues', () => {
    expect(nickHue('bob')).toBe(nickHue('bob'));
    const hues = new Set(['alice', 'bob', 'carol', 'dave', 'eve', 'mallory'].map(nickHue));
    expect(hues.size).toBeGreaterThan(3);
    for (const hue of hues) {
      expect(hue >= 0 && hue < 360).toBe(true);
    }
  });

  test('follow XEP-0392 §5.1: its test vectors give the same hue angles', () => {
    // The specification's examples (angles in degrees, to six decimals).
    const vectors: [string, number][] = [
      ['Romeo', 327.255249],
      ['juliet@capulet.lit', 209.4104],
      ['😺', 331.199341],
      ['council', 359.994507],
    ];
    for (const [input, angle] of vectors) {
      expect(nickHue(input)).toBeCloseTo(angle, 5);
    }
  });
});

describe('RoomsStore', () => {
  /** A backend whose `list_rooms` answers only when the test says so. */
  function slowBackend(): { calls: () => number; answer: (rooms: RoomView[]) => void } {
    const pending: Array<(rooms: RoomView[]) => void> = [];
    let calls = 0;
    mockIPC((command) => {
      if (command !== 'list_rooms') throw new Error(command);
      calls++;
      return new Promise<RoomView[]>((resolve) => pending.push(resolve));
    });
    return {
      calls: () => calls,
      answer: (rooms) => pending.shift()?.(rooms),
    };
  }

  const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

  test('a burst of reloads makes one call after the one under way, not one each', async () => {
    const backend = slowBackend();
    const store = new RoomsStore();
    const first = store.load();
    const burst = [store.load(), store.load(), store.load()];
    await flush();
    expect(backend.calls()).toBe(1);

    backend.answer([room('old@conference.example.org')]);
    await first;
    await flush();
    expect(backend.calls(), 'one more for the whole burst').toBe(2);

    backend.answer([room('new@conference.example.org')]);
    await Promise.all(burst);
    expect(store.all.map((r) => r.jid)).toEqual(['new@conference.example.org']);
    expect(backend.calls()).toBe(2);
  });

  test('groups rooms by account and drops an account left with none', async () => {
    const backend = slowBackend();
    const store = new RoomsStore();
    const load = store.load();
    await flush();
    backend.answer([room('a@muc.example'), room('b@muc.example', { account_id: 2 })]);
    await load;
    expect(store.forAccount(1).map((r) => r.jid)).toEqual(['a@muc.example']);
    expect(store.find(2, 'b@muc.example')).toBeDefined();

    const again = store.load();
    await flush();
    backend.answer([room('a@muc.example')]);
    await again;
    expect(store.forAccount(2)).toEqual([]);
  });

  /** A backend whose `list_rooms` and `room_state` answer only when the test says so. */
  function slowRoomBackend(): {
    calls: (command: string) => number;
    answer: (command: string, value: unknown, reject?: boolean) => void;
  } {
    const pending = new Map<string, Array<{ resolve: (v: unknown) => void; reject: (e: unknown) => void }>>();
    const counts = new Map<string, number>();
    mockIPC((command) => {
      if (command !== 'list_rooms' && command !== 'room_state') throw new Error(command);
      counts.set(command, (counts.get(command) ?? 0) + 1);
      return new Promise((resolve, reject) => {
        const queue = pending.get(command) ?? [];
        queue.push({ resolve, reject });
        pending.set(command, queue);
      });
    });
    return {
      calls: (command) => counts.get(command) ?? 0,
      answer: (command, value, reject = false) => {
        const next = pending.get(command)?.shift();
        if (reject) next?.reject(value);
        else next?.resolve(value);
      },
    };
  }

  async function loaded(backend: ReturnType<typeof slowRoomBackend>, rooms: RoomView[]): Promise<RoomsStore> {
    const store = new RoomsStore();
    const load = store.load();
    await flush();
    backend.answer('list_rooms', rooms);
    await load;
    return store;
  }

  test('a known room is reloaded alone and in place; a burst shares one follow-up', async () => {
    const backend = slowRoomBackend();
    const other = room('other@muc.example');
    const store = await loaded(backend, [room('a@muc.example'), other]);

    const first = store.refresh(1, 'a@muc.example');
    const burst = [store.refresh(1, 'a@muc.example'), store.refresh(1, 'a@muc.example')];
    await flush();
    expect(backend.calls('room_state')).toBe(1);

    backend.answer('room_state', room('a@muc.example', { notify: 'mentions' }));
    await flush();
    expect(backend.calls('room_state'), 'one more for the whole burst').toBe(2);
    expect(store.find(1, 'a@muc.example')?.notify).toBe('mentions');

    backend.answer('room_state', room('a@muc.example', { notify: 'none' }));
    await Promise.all([first, ...burst]);
    expect(store.find(1, 'a@muc.example')?.notify).toBe('none');
    expect(store.find(1, 'other@muc.example'), 'the other room untouched').toBe(other);
    expect(backend.calls('room_state')).toBe(2);
    expect(backend.calls('list_rooms')).toBe(1);
  });

  test('an unknown room, or one the backend no longer knows, reloads every room', async () => {
    const backend = slowRoomBackend();
    const store = await loaded(backend, [room('a@muc.example')]);

    const unknown = store.refresh(1, 'new@muc.example');
    await flush();
    expect(backend.calls('room_state')).toBe(0);
    backend.answer('list_rooms', [room('a@muc.example'), room('new@muc.example')]);
    await unknown;
    expect(store.find(1, 'new@muc.example')).toBeDefined();

    const gone = store.refresh(1, 'a@muc.example');
    await flush();
    backend.answer('room_state', { code: 'not_found', message: 'no such room' }, true);
    await flush();
    expect(backend.calls('list_rooms')).toBe(3);
    backend.answer('list_rooms', [room('new@muc.example')]);
    await gone;
    expect(store.all.map((r) => r.jid)).toEqual(['new@muc.example']);
  });

  test('an older list answering after a newer room_state keeps the newer room', async () => {
    const backend = slowRoomBackend();
    const store = await loaded(backend, [room('a@muc.example')]);
    const load = store.load();
    const refresh = store.refresh(1, 'a@muc.example');
    await flush();
    backend.answer('room_state', room('a@muc.example', { notify: 'none' }));
    await refresh;
    backend.answer('list_rooms', [room('a@muc.example', { notify: 'all' })]);
    await load;
    expect(store.find(1, 'a@muc.example')?.notify).toBe('none');
  });
});
