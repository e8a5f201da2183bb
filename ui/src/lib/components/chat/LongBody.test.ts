// Long message bodies: collapsed with "Show more" / "Show less", only their start rendered.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import type { MessageView } from '../../ipc';
import { ALICE, FakeBackend, contact, conversation, message } from '../../../test/backend';
import { renderApp } from '../../../test/render';
import { PREVIEW_CHARS } from './collapse';

const BOB = 'bob@example.org';

function backendWith(messages: MessageView[]): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  backend.messages = messages;
  return backend;
}

async function openBob(count: number): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  const chat = await screen.findByTestId('chat-view');
  await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(count));
  return chat;
}

function row(chat: HTMLElement, id: number): HTMLElement {
  const found = within(chat)
    .getAllByTestId('message')
    .find((r) => r.dataset['id'] === String(id));
  if (!found) throw new Error(`no row for message ${id}`);
  return found;
}

const bodyOf = (r: HTMLElement): HTMLElement => r.querySelector<HTMLElement>('.body') ?? r;

/**
 * 64 KiB in 30 long lines (jsdom is slow to build thousands of elements; a browser is not),
 * with a link and a styled word at the end.
 */
function hugeBody(): string {
  const lines: string[] = [];
  for (let i = 0; i < 30; i++) lines.push(`line ${i}: ${'lorem ipsum dolor '.repeat(122)}`);
  lines.push('see https://example.org/end and *the end*');
  return lines.join('\n');
}

describe('long messages', () => {
  test('a 64 KiB body shows its start with "Show more", then all of it, then its start again', async () => {
    const huge = hugeBody();
    expect(huge.length).toBeGreaterThan(64 * 1024);
    backendWith([message(1, { body: huge }), message(2, { body: 'short' })]);
    renderApp();
    const chat = await openBob(2);

    const long = row(chat, 1);
    expect(bodyOf(long).dataset['collapsed']).toBe('true');
    expect(bodyOf(long).textContent?.length ?? 0, 'only the start is rendered').toBeLessThanOrEqual(
      PREVIEW_CHARS + 10,
    );
    expect(long.querySelectorAll('.line').length, 'a line and the ellipsis').toBe(2);
    expect(within(long).queryByTestId('message-link'), 'the end is not rendered').toBeNull();
    expect(within(row(chat, 2)).queryByTestId('show-more'), 'a short body is shown whole').toBeNull();
    expect(bodyOf(row(chat, 2)).dataset['collapsed']).toBeUndefined();

    await fireEvent.click(within(long).getByTestId('show-more'));
    const expanded = row(chat, 1);
    await waitFor(() => expect(bodyOf(expanded).dataset['collapsed']).toBe('false'));
    expect(within(expanded).queryByTestId('show-more')).toBeNull();
    expect(within(expanded).getByTestId('message-link').textContent).toBe('https://example.org/end');
    expect(expanded.querySelector('strong')?.textContent).toBe('*the end*');
    expect(bodyOf(expanded).textContent, 'all of it, its lines as rows').toBe(huge.replaceAll('\n', ''));

    await fireEvent.click(within(expanded).getByTestId('show-less'));
    await waitFor(() => expect(bodyOf(row(chat, 1)).dataset['collapsed']).toBe('true'));
    expect(within(row(chat, 1)).getByTestId('show-more')).toBeTruthy();
    expect(within(row(chat, 1)).queryByTestId('show-less')).toBeNull();
  });

  test('a body of many short lines is collapsed too', async () => {
    backendWith([message(1, { body: Array.from({ length: 60 }, (_, i) => `${i}`).join('\n') })]);
    renderApp();
    const chat = await openBob(1);
    expect(within(row(chat, 1)).getByTestId('show-more')).toBeTruthy();
    expect(row(chat, 1).querySelectorAll('.line').length).toBeLessThanOrEqual(21);
  });

  test('stays expanded when the row scrolls out of the list and back', async () => {
    const messages = [message(1, { body: 'x '.repeat(2000) })];
    for (let i = 2; i <= 120; i++) messages.push(message(i));
    backendWith(messages);
    renderApp();
    await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
    const chat = await screen.findByTestId('chat-view');
    const list = within(chat).getByRole('list', { name: 'Messages with Bob' });
    await waitFor(() => expect(within(chat).queryAllByTestId('message').length).toBeGreaterThan(0));

    list.scrollTop = 0;
    await fireEvent.scroll(list);
    await waitFor(() => expect(() => row(chat, 1)).not.toThrow());
    await fireEvent.click(within(row(chat, 1)).getByTestId('show-more'));
    await waitFor(() => expect(within(row(chat, 1)).getByTestId('show-less')).toBeTruthy());

    list.scrollTop = 100_000;
    await fireEvent.scroll(list);
    await waitFor(() => expect(() => row(chat, 1)).toThrow());
    list.scrollTop = 0;
    await fireEvent.scroll(list);
    await waitFor(() => expect(() => row(chat, 1)).not.toThrow());
    expect(within(row(chat, 1)).getByTestId('show-less')).toBeTruthy();
  });
});
