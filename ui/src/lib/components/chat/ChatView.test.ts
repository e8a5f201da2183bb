import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import { ALICE, FakeBackend, contact, conversation, message } from '../../../test/backend';
import { renderApp } from '../../../test/render';

const XSS = '<img src=x onerror=alert(1)>';

function backendWithBob(): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact('bob@example.org', { name: 'Bob' })];
  backend.conversations = [conversation('bob@example.org', { last_body: XSS, unread: 1 })];
  return backend;
}

async function openBob(): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId('contact-bob@example.org'));
  return screen.findByTestId('chat-view');
}

describe('chat view', () => {
  test('shows a message body that looks like HTML as the characters bob typed', async () => {
    const backend = backendWithBob();
    backend.messages = [message(1, { body: XSS })];
    renderApp();
    const chat = await openBob();

    const row = await within(chat).findByTestId('message');
    expect(row.querySelector('.body')?.textContent).toBe(XSS);
    expect(document.querySelector('img'), 'no element was created from the body').toBeNull();
    const preview = screen.getByTestId('conversation-list');
    expect(preview.textContent, 'the conversation preview is text too').toContain(XSS);
  });

  test('a body arriving in an event batch is text as well', async () => {
    const backend = backendWithBob();
    renderApp();
    const chat = await openBob();
    await waitFor(() => expect(backend.callsOf('load_messages')).toHaveLength(1));

    await backend.emit('linnet://messages', {
      account_id: ALICE.id,
      peer: 'bob@example.org',
      messages: [message(7, { body: `${XSS}\n<script>alert(2)</script>` })],
    });
    const row = await within(chat).findByTestId('message');
    expect(row.textContent).toContain(XSS);
    expect(row.textContent).toContain('<script>alert(2)</script>');
    expect(document.querySelector('img, script[src], .body script')).toBeNull();
  });

  test('opening a chat loads its newest page and marks it read', async () => {
    const backend = backendWithBob();
    renderApp();
    await openBob();
    await waitFor(() =>
      expect(backend.callsOf('load_messages')).toEqual([
        { accountId: ALICE.id, peer: 'bob@example.org', before: null, limit: 50 },
      ]),
    );
    expect(backend.callsOf('mark_read')).toEqual([{ accountId: ALICE.id, peer: 'bob@example.org' }]);
  });

  test('groups messages under day separators and shows the send state of outgoing ones', async () => {
    const backend = backendWithBob();
    const yesterday = Date.UTC(2026, 10, 19, 12, 0);
    const today = Date.UTC(2026, 10, 20, 12, 0);
    backend.messages = [
      message(1, { at: yesterday }),
      message(2, { at: today, outgoing: true, state: 'delivered', body: 'hi bob' }),
      message(3, { at: today + 1000, outgoing: true, state: 'failed', error: 'service-unavailable' }),
    ];
    renderApp();
    const chat = await openBob();
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(3));

    const days = within(chat).getAllByTestId('day-separator').map((d) => d.textContent?.trim());
    expect(days).toEqual(['Yesterday', 'Today']);
    const rows = within(chat).getAllByTestId('message');
    expect(rows.map((r) => r.dataset['outgoing'])).toEqual(['false', 'true', 'true']);
    expect(rows[1]?.textContent).toContain('Delivered');
    expect(rows[2]?.textContent).toContain('Not sent');
    expect(rows[2]?.textContent).toContain('service-unavailable');
  });

  test('a message waiting for a server out of reach says so, with no Retry', async () => {
    const backend = backendWithBob();
    const words = 'Waiting: the server example.org cannot be reached now. Linnet will send it again.';
    backend.messages = [message(1, { outgoing: true, state: 'pending', error: words })];
    renderApp();
    const chat = await openBob();
    const row = await within(chat).findByTestId('message');
    expect(row.dataset['state']).toBe('pending');
    expect(within(row).getByTestId('send-waiting').textContent).toBe(words);
    expect(within(row).queryByTestId('retry-message')).toBeNull();
  });

  test('Enter sends, Shift+Enter does not, and the echo appears as pending', async () => {
    const backend = backendWithBob();
    renderApp();
    const chat = await openBob();
    const composer = within(chat).getByTestId('composer');

    await fireEvent.input(composer, { target: { value: 'line one' } });
    await fireEvent.keyDown(composer, { key: 'Enter', shiftKey: true });
    expect(backend.callsOf('send_message'), 'Shift+Enter only adds a newline').toEqual([]);

    await fireEvent.keyDown(composer, { key: 'Enter' });
    await waitFor(() =>
      expect(backend.callsOf('send_message')).toEqual([
        { accountId: ALICE.id, to: 'bob@example.org', body: 'line one', replyTo: null },
      ]),
    );
    const row = await within(chat).findByTestId('message');
    expect(row.dataset['outgoing']).toBe('true');
    expect(row.dataset['state']).toBe('pending');
    await waitFor(() =>
      expect((composer as HTMLTextAreaElement).value, 'the composer empties after sending').toBe(''),
    );
  });

  test('a failed send keeps the text and says why', async () => {
    const backend = backendWithBob();
    backend.on('send_message', () => {
      throw { code: 'internal', message: 'database is locked' };
    });
    renderApp();
    const chat = await openBob();
    const composer = within(chat).getByTestId('composer') as HTMLTextAreaElement;
    await fireEvent.input(composer, { target: { value: 'hello' } });
    await fireEvent.click(within(chat).getByTestId('send-button'));

    expect((await screen.findByTestId('send-error')).textContent).toContain('database is locked');
    expect(composer.value).toBe('hello');
  });

  test('the contact filter narrows the roster by name or JID', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    backend.contacts = [
      contact('bob@example.org', { name: 'Bob' }),
      contact('carol@example.net', { presence: { show: 'dnd', status: 'In a meeting', priority: 0, error: null } }),
    ];
    renderApp();
    await screen.findByTestId('contact-carol@example.net');
    expect(screen.getByTestId('contact-carol@example.net').textContent).toContain('In a meeting');

    await fireEvent.input(screen.getByTestId('contact-filter'), { target: { value: 'BOB' } });
    expect(screen.queryByTestId('contact-carol@example.net')).toBeNull();
    expect(screen.getByTestId('contact-bob@example.org')).toBeTruthy();
  });
});

describe('links in messages', () => {
  test('become links whose click opens them outside the app', async () => {
    const backend = backendWithBob();
    backend.messages = [message(1, { body: `look: https://example.org/a?b=1 ${XSS}` })];
    renderApp();
    const chat = await openBob();
    const link = await within(chat).findByRole('link', { name: 'https://example.org/a?b=1' });
    expect(link.getAttribute('href')).toBe('https://example.org/a?b=1');
    const body = within(chat).getByTestId('message').querySelector('.body');
    expect(body?.textContent, 'the rest stays the characters bob typed').toBe(
      `look: https://example.org/a?b=1 ${XSS}`,
    );
    expect(document.querySelector('img')).toBeNull();

    const followed = await fireEvent.click(link);
    expect(followed, 'the webview does not navigate').toBe(false);
    await waitFor(() =>
      expect(backend.callsOf('open_link')).toEqual([{ url: 'https://example.org/a?b=1' }]),
    );
  });

  test('a middle click opens the link outside as well', async () => {
    const backend = backendWithBob();
    backend.messages = [message(1, { body: 'xmpp:room@muc.example.org?join' })];
    renderApp();
    const chat = await openBob();
    const link = await within(chat).findByRole('link', { name: 'xmpp:room@muc.example.org?join' });
    expect(await fireEvent(link, new MouseEvent('auxclick', { button: 1, bubbles: true, cancelable: true }))).toBe(
      false,
    );
    await waitFor(() =>
      expect(backend.callsOf('open_link')).toEqual([{ url: 'xmpp:room@muc.example.org?join' }]),
    );
  });

  test('a link the backend refuses to open shows why in the banner', async () => {
    const backend = backendWithBob();
    backend.messages = [message(1, { body: 'mailto:carol@example.org' })];
    backend.on('open_link', () => {
      throw { code: 'invalid_url', message: 'no mail client' };
    });
    renderApp();
    const chat = await openBob();
    await fireEvent.click(await within(chat).findByRole('link', { name: 'mailto:carol@example.org' }));
    const banner = await screen.findByTestId('problem-banner');
    expect(banner.dataset['code']).toBe('invalid_url');
    expect(banner.textContent).toContain('no mail client');
  });

  test('anything but http, https, mailto and xmpp stays text', async () => {
    const backend = backendWithBob();
    backend.messages = [message(1, { body: 'javascript:alert(1) file:///etc/passwd ftp://example.org' })];
    renderApp();
    const chat = await openBob();
    await within(chat).findByTestId('message');
    expect(within(chat).queryAllByRole('link')).toEqual([]);
  });
});

describe('muting a chat', () => {
  test('the header toggle mutes and unmutes its notifications', async () => {
    const backend = backendWithBob();
    renderApp();
    const chat = await openBob();
    const toggle = within(chat).getByRole('button', { name: 'Mute notifications' });
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    expect(within(chat).queryByTestId('room-notify'), 'a room setting').toBeNull();

    await fireEvent.click(toggle);
    await waitFor(() =>
      expect(backend.callsOf('set_muted')).toEqual([
        { accountId: ALICE.id, peer: 'bob@example.org', muted: true },
      ]),
    );
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    expect(toggle.getAttribute('aria-label')).toBe('Unmute notifications');

    await backend.emit('linnet://conversations', {});
    const row = screen.getByTestId('conversation-bob@example.org');
    await waitFor(() => expect(within(row).getByRole('img', { name: 'Notifications muted' })).toBeTruthy());
    expect(row.dataset['muted']).toBe('true');

    await fireEvent.click(within(chat).getByRole('button', { name: 'Unmute notifications' }));
    await waitFor(() => expect(backend.callsOf('set_muted')[1]?.['muted']).toBe(false));
    await backend.emit('linnet://conversations', {});
    await waitFor(() => expect(within(row).queryByTestId('muted-indicator')).toBeNull());
  });

  test('a refused change goes back and shows why', async () => {
    const backend = backendWithBob();
    backend.on('set_muted', () => {
      throw { code: 'internal', message: 'database is locked' };
    });
    renderApp();
    const chat = await openBob();
    await fireEvent.click(within(chat).getByRole('button', { name: 'Mute notifications' }));
    expect((await screen.findByTestId('problem-banner')).textContent).toContain('database is locked');
    expect(within(chat).getByTestId('mute-toggle').getAttribute('aria-pressed')).toBe('false');
  });

  test('a chat without messages yet can be muted too', async () => {
    const backend = backendWithBob();
    backend.conversations = [];
    renderApp();
    const chat = await openBob();
    await fireEvent.click(within(chat).getByRole('button', { name: 'Mute notifications' }));
    await waitFor(() => expect(backend.callsOf('set_muted')).toHaveLength(1));
    expect(within(chat).getByTestId('mute-toggle').getAttribute('aria-pressed')).toBe('true');
  });
});
