// Voice messages: recorded by the backend from the microphone (GStreamer, Opus in Ogg) while
// the composer shows the elapsed time, then sent as an audio file upload (XEP-0363), which
// every client plays. Nothing is recorded before the user pressed the microphone button.

/** Longest voice message: 15 minutes; the recording then stops and is sent. */
export const MAX_VOICE_MS = 15 * 60 * 1000;

/** "0:07", "12:30": elapsed recording time. */
export function elapsedWords(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
