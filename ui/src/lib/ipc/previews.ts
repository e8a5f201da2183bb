// Addresses of image previews, served by the shell's `linnet-preview` protocol (PNG bytes the
// engine made and keeps in its encrypted store; the shell answers 404 where there is none, e.g.
// an image from someone outside the roster, which is never fetched for a preview). Tauri maps a
// custom protocol to `<scheme>://localhost/...` on Linux and macOS and to
// `http://<scheme>.localhost/...` on Windows, as its own `convertFileSrc` does.

const SCHEME = 'linnet-preview';
/** Avatars the engine keeps, by the SHA-1 of the picture (XEP-0084/0153); never fetched. */
const AVATAR_SCHEME = 'linnet-avatar';
/** Inline audio and video, served from files already here (`fetch_media` brings them). */
const MEDIA_SCHEME = 'linnet-media';

function base(scheme: string, messageId: number, userAgent: string): string {
  return userAgent.includes('Windows')
    ? `http://${scheme}.localhost/${messageId}`
    : `${scheme}://localhost/${messageId}`;
}

/** The address the player plays message `messageId`'s audio or video from. */
export function mediaUrl(
  messageId: number,
  userAgent = globalThis.navigator?.userAgent ?? '',
): string {
  return base(MEDIA_SCHEME, messageId, userAgent);
}

/**
 * The preview address of a file the user picked or dropped (one the OS handed the app; the
 * shell makes pictures only of those), shown in the send dialog before it goes.
 */
export function pickedPreviewUrl(
  path: string,
  userAgent = globalThis.navigator?.userAgent ?? '',
): string {
  const url = userAgent.includes('Windows')
    ? `http://${SCHEME}.localhost/picked`
    : `${SCHEME}://localhost/picked`;
  return `${url}?path=${encodeURIComponent(path)}`;
}

/** The address of the thumbnail the sender put in message `messageId` (nothing fetched). */
export function thumbnailUrl(
  messageId: number,
  userAgent = globalThis.navigator?.userAgent ?? '',
): string {
  return `${base(SCHEME, messageId, userAgent)}?thumb`;
}

/**
 * The preview address of message `messageId`'s image; with `show`, the user asked to see it,
 * so the shell fetches it even from someone outside the roster or from a room.
 */
export function previewUrl(
  messageId: number,
  show = false,
  userAgent = globalThis.navigator?.userAgent ?? '',
): string {
  const url = base(SCHEME, messageId, userAgent);
  return show ? `${url}?show` : url;
}

/** The address of the avatar picture with SHA-1 `hash` (a PNG the engine keeps). */
export function avatarUrl(hash: string, userAgent = globalThis.navigator?.userAgent ?? ''): string {
  return userAgent.includes('Windows')
    ? `http://${AVATAR_SCHEME}.localhost/${hash}`
    : `${AVATAR_SCHEME}://localhost/${hash}`;
}
