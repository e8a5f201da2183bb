/**
 * Shows a SHA-256 fingerprint the way certificate viewers do: "AB:CD:...". Input that is not
 * 64 hex digits (with or without colons) is shown unchanged.
 */
export function formatFingerprint(sha256: string): string {
  const hex = sha256.replace(/:/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return sha256;
  return (hex.toUpperCase().match(/.{2}/g) ?? []).join(':');
}

/**
 * The eight groups of eight hex digits of an OMEMO identity-key fingerprint, as Conversations,
 * Dino and Gajim show it (lower case); null for input that is not 64 hex digits (spaces and
 * colons between them allowed), which is then shown unchanged.
 */
export function omemoFingerprintGroups(fingerprint: string): string[] | null {
  const hex = fingerprint.replace(/[\s:]/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return null;
  return hex.toLowerCase().match(/.{8}/g) ?? null;
}
