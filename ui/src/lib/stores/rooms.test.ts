import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, test } from 'vitest';
import { occupant, room } from '../../test/backend';
import type { RoomView } from '../ipc';
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
  ])('standing of %j is %j', (overrides, expected) => {
    expect(occupantStanding(occupant('x', overrides))).toBe(expected);
  });
});

describe('nickname colours', () => {
  test('are the same for the same nickname, differ between most, and are hues', () => {
    expect(nickHue('bob')).toBe(nickHue('bob'));
    const hues = new Set(['alice', 'bob', 'carol', 'dave', 'eve', 'mallory'].map(nickHue));
    expect(hues.size).toBeGreaterThan(3);
    for (const hue of hues) {
      expect(Number.isInteger(hue) && hue >= 0 && hue < 360).toBe(true);
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
});
