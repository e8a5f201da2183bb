// Words for who is typing (XEP-0085 `composing`).

/** "bob is typing…", "alice and bob are typing…", "several people are typing…"; "" for nobody. */
export function typingText(names: readonly string[]): string {
  const [first, second] = names;
  if (first === undefined) return '';
  if (second === undefined) return `${first} is typing…`;
  if (names.length === 2) return `${first} and ${second} are typing…`;
  return 'several people are typing…';
}
