// Words for where the user stands in a room.

import type { RoomView } from '../../ipc';

/**
 * Where we are with a room: in it, on the way in, waiting for the account, refused (with the
 * reason, this session), or no longer joined automatically (after a kick, a ban or the room's
 * destruction in an earlier session) until the user joins again.
 */
export type RoomPhase = 'joined' | 'joining' | 'offline' | 'error' | 'parked';

export function roomPhase(room: RoomView, accountOnline: boolean): RoomPhase {
  if (room.state.error) return 'error';
  if (room.state.joined) return 'joined';
  if (!room.autojoin) return 'parked';
  return accountOnline ? 'joining' : 'offline';
}


/**
 * The nickname to offer when ours is taken: a trailing number counts up, keeping its width
 * ("anna" → "anna2", "anna2" → "anna3", "bond007" → "bond008").
 */
export function alternativeNick(nick: string): string {
  const match = /^(.*?)(\d+)$/.exec(nick);
  const [, stem = '', digits = ''] = match ?? [];
  if (digits) return `${stem}${String(Number(digits) + 1).padStart(digits.length, '0')}`;
  return `${nick}2`;
}

/** The nickname to fill in when joining a room again: another one if ours was taken. */
export function rejoinNick(room: RoomView): string {
  return room.state.error_code === 'nickname_taken' && room.state.nick
    ? alternativeNick(room.state.nick)
    : room.state.nick;
}

/** The room refused us for lack of its password: joining again asks for it. */
export function needsPassword(room: RoomView): boolean {
  return room.state.error_code === 'password_required';
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
    case 'parked':
      return 'Not in the room';
  }
}

/**
 * We are in a new room we asked to set up first (a reserved room, XEP-0045 §10.1.3): it stays
 * locked, nobody else can enter, until its settings are saved.
 */
export function isLockedForSetup(room: RoomView): boolean {
  const { joined, error, awaiting_configuration } = room.state;
  return awaiting_configuration && joined && !error;
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
      if (room.state.awaiting_configuration) return 'Locked until you save its settings';
      return room.state.subject ?? (room.state.nick ? `Joined as ${room.state.nick}` : 'Joined');
    case 'joining':
      return 'Joining…';
    case 'offline':
      return 'Not joined: joins when the account is online';
    case 'parked':
      return 'Not joined';
  }
}

/**
 * We own the room: our own occupant (the one with our nickname) has the `owner` affiliation
 * (XEP-0045 §5.2), so the room lets us change its settings. False until we are in the room.
 */
export function isRoomOwner(room: RoomView): boolean {
  const { joined, nick, occupants } = room.state;
  return joined && occupants.some((o) => o.nick === nick && o.affiliation === 'owner');
}

/**
 * We are one of the room's moderators: our own occupant (the one with our nickname) has the
 * `moderator` role (XEP-0045 §5.1), so the room lets us delete others' messages (XEP-0425).
 * False until we are in the room.
 */
export function isRoomModerator(room: RoomView): boolean {
  const { joined, nick, occupants } = room.state;
  return joined && occupants.some((o) => o.nick === nick && o.role === 'moderator');
}
