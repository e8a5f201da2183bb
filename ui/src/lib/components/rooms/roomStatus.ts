// Words for where the user stands in a room.

import type { RoomView } from '../../ipc';

/** Where we are with a room: in it, on the way in, waiting for the account, or refused. */
export type RoomPhase = 'joined' | 'joining' | 'offline' | 'error';

export function roomPhase(room: RoomView, accountOnline: boolean): RoomPhase {
  if (room.state.error) return 'error';
  if (room.state.joined) return 'joined';
  return accountOnline ? 'joining' : 'offline';
}

/** Short label for a phase (the status dot's name). */
export function phaseLabel(phase: RoomPhase): string {
  switch (phase) {
    case 'joined':
      return 'Joined';
    case 'joining':
      return 'Joining…';
    case 'offline':
      return 'Not joined';
    case 'error':
      return 'Not in the room';
  }
}

/**
 * The line under a room's name: the error, the subject, or what is going on. The error and
 * subject are the room's (remote) text: render them as text.
 */
export function roomStatusLine(room: RoomView, phase: RoomPhase): string {
  switch (phase) {
    case 'error':
      return room.state.error ?? '';
    case 'joined':
      return room.state.subject ?? (room.state.nick ? `Joined as ${room.state.nick}` : 'Joined');
    case 'joining':
      return 'Joining…';
    case 'offline':
      return 'Not joined: joins when the account is online';
  }
}
