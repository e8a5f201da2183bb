import type { PresenceShow } from '../../ipc';

/** Words for a presence `show` value (RFC 6121 §4.7.2.1; "available" means no <show/>). */
export function presenceLabel(show: PresenceShow): string {
  switch (show) {
    case 'available':
      return 'Available';
    case 'chat':
      return 'Free for chat';
    case 'away':
      return 'Away';
    case 'xa':
      return 'Extended away';
    case 'dnd':
      return 'Do not disturb';
    case 'offline':
      return 'Offline';
  }
}
