// Voice messages and inline audio and video: recording in the composer (the backend records
// the microphone only after the press; Send sends it as an audio file, Cancel throws it away),
// and the player of a shared audio or video (nothing read or fetched before Play; then the
// file comes through the `linnet-media` protocol into a blob the player plays).
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { MessageView } from '../../ipc';
import { ALICE, FakeBackend, contact, conversation, fileView, message } from '../../../test/backend';
import { renderApp } from '../../../test/render';
import { elapsedWords } from './voice';

const BOB = 'bob@example.org';

function backendWith(messages: MessageView[] = []): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  backend.messages = messages;
  return backend;
}

/** Opens Bob's chat and waits for its `count` messages. */
async function openBob(count = 0): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  const chat = await screen.findByTestId('chat-view');
  await waitFor(() => expect(within(chat).queryAllByTestId('message')).toHaveLength(count));
  return chat;
}

test('elapsed time reads as minutes and seconds', () => {
  expect(elapsedWords(7_900)).toBe('0:07');
  expect(elapsedWords(750_000)).toBe('12:30');
});

describe('recording in the composer', () => {
  let backend: FakeBackend;

  beforeEach(() => {
    backend = backendWith();
  });

  test('recording starts only on the press; Send sends it to the chat as audio', async () => {
    renderApp();
    const chat = await openBob();
    const mic = within(chat).getByRole('button', { name: 'Record a voice message' });
    expect(backend.callsOf('start_voice_message'), 'nothing before the press').toEqual([]);
    await fireEvent.click(mic);
    await within(chat).findByTestId('voice-recording');
    expect(backend.callsOf('start_voice_message')).toHaveLength(1);
    expect(within(chat).getByTestId('voice-elapsed').textContent).toBe('0:00');

    await fireEvent.click(within(chat).getByTestId('voice-send'));
    await waitFor(() =>
      expect(backend.callsOf('send_voice_message')).toEqual([{ accountId: ALICE.id, to: BOB }]),
    );
    await waitFor(() => expect(within(chat).queryByTestId('voice-recording')).toBeNull());
    await waitFor(() => expect(within(chat).getAllByTestId('message')).toHaveLength(1));
    const [sent] = backend.messages;
    expect(within(chat).getByTestId(`file-name-${sent?.id}`).textContent).toMatch(/^Voice message .*\.ogg$/);
    expect(within(chat).getByTestId(`file-play-${sent?.id}`), 'ours plays').toBeTruthy();
  });

  test('Cancel throws the recording away and sends nothing', async () => {
    renderApp();
    const chat = await openBob();
    await fireEvent.click(within(chat).getByTestId('voice-record'));
    await fireEvent.click(await within(chat).findByTestId('voice-cancel'));
    expect(within(chat).queryByTestId('voice-recording')).toBeNull();
    await waitFor(() => expect(backend.callsOf('cancel_voice_message')).toHaveLength(1));
    expect(backend.callsOf('send_voice_message')).toEqual([]);
    expect(backend.recording).toBe(false);
  });

  test('a microphone that cannot be used is told in words and nothing records', async () => {
    backend.on('start_voice_message', () => {
      throw { code: 'file', message: 'The microphone could not be used: no such device' };
    });
    renderApp();
    const chat = await openBob();
    await fireEvent.click(within(chat).getByTestId('voice-record'));
    const error = await within(chat).findByTestId('voice-error');
    expect(error.textContent).toContain('The microphone could not be used');
    expect(within(chat).queryByTestId('voice-recording')).toBeNull();
  });
});

describe('the inline player', () => {
  const fetched: string[] = [];

  beforeEach(() => {
    fetched.length = 0;
    vi.stubGlobal('fetch', async (url: string) => {
      fetched.push(url);
      if (url.endsWith('/3')) return new Response(null, { status: 413 });
      return new Response(new Blob(['OggS'], { type: 'audio/ogg' }), { status: 200 });
    });
    URL.createObjectURL = vi.fn(() => 'blob:linnet/1');
    URL.revokeObjectURL = vi.fn();
  });

  afterEach(() => {
    vi.unstubAllGlobals();
  });


  test('a received voice message is fetched only on Play, then plays from a blob', async () => {
    const backend = backendWith([
      message(1, {
        body: 'https://up.example.org/voice.oga',
        file: fileView('voice.oga', { media_type: 'audio/ogg', size: 40_000 }),
      }),
    ]);
    renderApp();
    const chat = await openBob(1);
    expect(within(chat).queryByTestId('file-player-1'), 'nothing on display').toBeNull();
    expect(backend.callsOf('fetch_media')).toEqual([]);
    expect(fetched).toEqual([]);
    const play = within(chat).getByTestId('file-play-1');
    expect(play.getAttribute('aria-label')).toBe('Play voice.oga');
    await fireEvent.click(play);
    await waitFor(() => expect(backend.callsOf('fetch_media')).toEqual([{ messageId: 1 }]));
    const player = await within(chat).findByTestId('file-player-1');
    expect(player.tagName).toBe('AUDIO');
    expect(player.getAttribute('src')).toBe('blob:linnet/1');
    expect(player.hasAttribute('controls')).toBe(true);
    expect(fetched).toEqual(['linnet-media://localhost/1']);
  });

  test('a video gets a video player; one too large to play says what to do', async () => {
    const backend = backendWith([
      message(2, {
        body: 'https://up/clip.mp4',
        file: fileView('clip.mp4', { media_type: 'video/mp4', saved_path: '/home/alice/Downloads/clip.mp4' }),
      }),
      message(3, { body: 'https://up/film.webm', file: fileView('film.webm', { media_type: 'video/webm' }) }),
    ]);
    renderApp();
    const chat = await openBob(2);
    await fireEvent.click(within(chat).getByTestId('file-play-2'));
    expect((await within(chat).findByTestId('file-player-2')).tagName).toBe('VIDEO');
    await fireEvent.click(within(chat).getByTestId('file-play-3'));
    const error = await within(chat).findByTestId('file-play-error-3');
    expect(error.textContent).toContain('Too large to play here');
    expect(within(chat).queryByTestId('file-player-3')).toBeNull();
    expect(backend.callsOf('fetch_media')).toEqual([{ messageId: 2 }, { messageId: 3 }]);
  });

  test('a fetch that fails says why in the backend words', async () => {
    const backend = backendWith([
      message(4, { body: 'https://up/gone.oga', file: fileView('gone.oga', { media_type: 'audio/ogg' }) }),
    ]);
    backend.on('fetch_media', () => {
      throw { code: 'file', message: 'The file could not be downloaded: 404 Not Found.' };
    });
    renderApp();
    const chat = await openBob(1);
    await fireEvent.click(within(chat).getByTestId('file-play-4'));
    const error = await within(chat).findByTestId('file-play-error-4');
    expect(error.textContent).toContain('404 Not Found');
    expect(fetched, 'nothing read when the fetch failed').toEqual([]);
  });
});
