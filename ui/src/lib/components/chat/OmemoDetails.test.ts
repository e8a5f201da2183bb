// A one-to-one chat's OMEMO details (XEP-0384): the "Encryption details" dialog with the
// contact's devices and our trust in each, our own fingerprint and its QR code, and the
// "Verified" badge in the chat's header.
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { describe, expect, test } from 'vitest';
import {
  ALICE,
  FakeBackend,
  contact,
  conversation,
  encryptionKey,
  message,
  omemoDevice,
  ownDevice,
  room,
} from '../../../test/backend';
import { renderApp } from '../../../test/render';
import { qrDataUrl } from './qr';

const BOB = 'bob@example.org';
const DEV = 'dev@conference.example.org';
const EXPLANATION =
  "Compare these fingerprints with the ones your contact's app shows. Mark a device verified when they match.";

function backendWithBob(...devices: ReturnType<typeof omemoDevice>[]): FakeBackend {
  const backend = new FakeBackend();
  backend.accounts = [ALICE];
  backend.contacts = [contact(BOB, { name: 'Bob' })];
  backend.conversations = [conversation(BOB)];
  backend.encryption.set(encryptionKey(ALICE.id, BOB), true);
  backend.omemoDevices.set(encryptionKey(ALICE.id, BOB), devices);
  backend.ownDevices.set(ALICE.id, ownDevice(ALICE.jid, 4242));
  return backend;
}

async function openBob(): Promise<HTMLElement> {
  await fireEvent.click(await screen.findByTestId(`contact-${BOB}`));
  const chat = await screen.findByTestId('chat-view');
  await within(chat).findByTestId('encryption-toggle');
  return chat;
}

/** Opens the chat with Bob and its "Encryption details". */
async function openDetails(): Promise<HTMLElement> {
  const chat = await openBob();
  await fireEvent.click(within(chat).getByTestId('omemo-details-button'));
  const details = screen.getByTestId<HTMLDialogElement>('omemo-details');
  expect(details.open).toBe(true);
  return details;
}

/** Waits until the trust change of a device is done (the row is no longer busy). */
async function settled(details: HTMLElement, deviceId: number): Promise<void> {
  await waitFor(() =>
    expect(within(details).getByTestId(`omemo-device-${deviceId}`).getAttribute('aria-busy')).toBe('false'),
  );
}

function trustOf(details: HTMLElement, deviceId: number): string | undefined {
  return within(details).getByTestId(`omemo-device-${deviceId}`).dataset['trust'];
}

describe('encryption details', () => {
  test('list the contact’s devices: fingerprint in groups, monospace, trust in words, buttons', async () => {
    const backend = backendWithBob(
      omemoDevice(11),
      omemoDevice(22, { trust: 'verified' }),
      omemoDevice(33, { trust: 'untrusted' }),
    );
    renderApp();
    const chat = await openBob();
    const button = within(chat).getByTestId('omemo-details-button');
    expect(button.getAttribute('aria-haspopup')).toBe('dialog');
    expect(screen.queryByTestId('omemo-device-11'), 'nothing before it opens').toBeNull();

    await fireEvent.click(button);
    const details = screen.getByTestId('omemo-details');
    expect(within(details).getByRole('heading', { name: 'Encryption details' })).toBeTruthy();
    expect(details.textContent).toContain(EXPLANATION);
    expect(within(details).getByRole('heading', { name: "Bob's devices" })).toBeTruthy();
    await within(details).findByTestId('omemo-device-11');
    expect(backend.callsOf('omemo_devices')).toContainEqual({ accountId: ALICE.id, peer: BOB });

    const fingerprint = within(details).getByTestId('omemo-device-fingerprint-11');
    expect(fingerprint.tagName, 'monospace').toBe('CODE');
    expect(fingerprint.textContent).toBe(omemoDevice(11).fingerprint);
    expect(fingerprint.textContent).toMatch(/^([0-9a-f]{8} ){7}[0-9a-f]{8}$/);

    const words = (id: number): string | null | undefined =>
      within(details).getByTestId(`omemo-device-trust-${id}`).textContent?.trim();
    expect(words(11)).toBe('Not verified');
    expect(words(22)).toBe('Verified');
    expect(words(33)).toBe('Distrusted');

    // Not verified: verify or distrust; verified: distrust; distrusted: verify or trust again.
    const row = (id: number): HTMLElement => within(details).getByTestId(`omemo-device-${id}`);
    expect(within(row(11)).getByTestId('omemo-verify-11').textContent?.trim()).toBe('Mark verified');
    expect(within(row(11)).getByTestId('omemo-distrust-11').textContent?.trim()).toBe('Distrust');
    expect(within(row(11)).queryByTestId('omemo-trust-11')).toBeNull();
    expect(within(row(22)).queryByTestId('omemo-verify-22')).toBeNull();
    expect(within(row(22)).getByTestId('omemo-distrust-22')).toBeTruthy();
    expect(within(row(33)).getByTestId('omemo-verify-33')).toBeTruthy();
    expect(within(row(33)).getByTestId('omemo-trust-33').textContent?.trim()).toBe('Trust again');
    expect(within(row(33)).queryByTestId('omemo-distrust-33')).toBeNull();
    expect(row(11).textContent).toContain('Device 11');
  });

  test('"Mark verified" calls set_omemo_trust and the list follows', async () => {
    const backend = backendWithBob(omemoDevice(11), omemoDevice(22));
    renderApp();
    const details = await openDetails();
    const verify = await within(details).findByTestId('omemo-verify-11');
    verify.focus();
    await fireEvent.click(verify);

    await waitFor(() => expect(trustOf(details, 11)).toBe('verified'));
    await settled(details, 11);
    expect(backend.callsOf('set_omemo_trust')).toEqual([
      { accountId: ALICE.id, peer: BOB, deviceId: 11, trust: 'verified' },
    ]);
    expect(within(details).getByTestId('omemo-device-trust-11').textContent?.trim()).toBe('Verified');
    expect(within(details).queryByTestId('omemo-verify-11'), 'nothing left to verify').toBeNull();
    expect(trustOf(details, 22), 'the other one unchanged').toBe('blind');
    expect(document.activeElement, 'the focus stays on the row').toBe(
      within(details).getByTestId('omemo-device-11'),
    );
  });

  test('"Distrust" and "Trust again"', async () => {
    const backend = backendWithBob(omemoDevice(11, { trust: 'verified' }));
    renderApp();
    const details = await openDetails();

    await fireEvent.click(await within(details).findByTestId('omemo-distrust-11'));
    await waitFor(() => expect(trustOf(details, 11)).toBe('untrusted'));
    await settled(details, 11);
    expect(within(details).getByTestId('omemo-device-trust-11').textContent?.trim()).toBe('Distrusted');

    await fireEvent.click(within(details).getByTestId('omemo-trust-11'));
    await waitFor(() => expect(trustOf(details, 11)).toBe('blind'));
    expect(within(details).getByTestId('omemo-device-trust-11').textContent?.trim()).toBe('Not verified');
    expect(backend.callsOf('set_omemo_trust').map((c) => c['trust'])).toEqual(['untrusted', 'blind']);
  });

  test('an undecided device (new after a verification) can be verified, accepted or distrusted', async () => {
    const backend = backendWithBob(omemoDevice(11, { trust: 'verified' }), omemoDevice(44, { trust: 'undecided' }));
    renderApp();
    const details = await openDetails();
    await within(details).findByTestId('omemo-device-44');
    expect(within(details).getByTestId('omemo-device-trust-44').textContent?.trim()).toBe('New, not trusted yet');
    expect(within(details).getByTestId('omemo-verify-44')).toBeTruthy();
    expect(within(details).getByTestId('omemo-distrust-44')).toBeTruthy();
    const accept = within(details).getByTestId('omemo-trust-44');
    expect(accept.textContent?.trim()).toBe('Trust without verifying');

    await fireEvent.click(accept);
    await waitFor(() => expect(trustOf(details, 44)).toBe('blind'));
    expect(backend.callsOf('set_omemo_trust')).toEqual([
      { accountId: ALICE.id, peer: BOB, deviceId: 44, trust: 'blind' },
    ]);
  });

  test('an inactive device says so, with since when', async () => {
    backendWithBob(omemoDevice(11), omemoDevice(55, { stale: true, last_heard: Date.UTC(2026, 7, 3) }));
    renderApp();
    const details = await openDetails();
    const note = await within(details).findByTestId('omemo-device-stale-55');
    const text = note.textContent?.replace(/\s+/g, ' ') ?? '';
    expect(text).toContain('Inactive: silent since');
    expect(text).toContain('no longer encrypted for it');
    expect(within(details).queryByTestId('omemo-device-stale-11')).toBeNull();
  });

  test('a refused change shows why and keeps the trust', async () => {
    const backend = backendWithBob(omemoDevice(11));
    backend.on('set_omemo_trust', () => {
      throw { code: 'internal', message: 'database is locked' };
    });
    renderApp();
    const details = await openDetails();
    await fireEvent.click(await within(details).findByTestId('omemo-verify-11'));
    expect((await within(details).findByTestId('omemo-details-error')).textContent).toContain(
      'database is locked',
    );
    expect(trustOf(details, 11)).toBe('blind');
  });

  test('before the contact ever wrote encrypted: "No devices seen yet"', async () => {
    backendWithBob();
    renderApp();
    const details = await openDetails();
    const empty = await within(details).findByTestId('omemo-no-devices');
    expect(empty.textContent).toContain('No devices seen yet');
    expect(within(details).queryAllByTestId(/^omemo-device-\d+$/)).toEqual([]);
    expect(screen.queryByTestId('omemo-verified'), 'nothing to be verified').toBeNull();
  });

  test('our own fingerprint on this account beside theirs, and a QR code of our URI', async () => {
    const backend = backendWithBob(omemoDevice(11));
    const own = ownDevice(ALICE.jid, 4242);
    renderApp();
    const details = await openDetails();

    const fingerprint = await within(details).findByTestId('omemo-own-fingerprint');
    expect(backend.callsOf('own_omemo_device')).toEqual([{ accountId: ALICE.id }]);
    expect(fingerprint.tagName, 'monospace').toBe('CODE');
    expect(fingerprint.textContent).toBe(own.fingerprint);
    expect(details.textContent).toContain('Device 4242');
    expect(details.textContent).toContain(ALICE.jid);

    const qr = await within(details).findByTestId<HTMLImageElement>('omemo-qr');
    expect(qr.tagName).toBe('IMG');
    expect(qr.alt).toBe('QR code to verify your device');
    expect(qr.dataset['text']).toBe(own.uri);
    expect(qr.getAttribute('src'), 'the code of exactly our URI').toBe(await qrDataUrl(own.uri));
    expect(qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    const svg = decodeURIComponent(qr.getAttribute('src')?.split(',')[1] ?? '');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(await qrDataUrl(`${own.uri}0`), 'another URI draws another code').not.toBe(qr.getAttribute('src'));
  });

  test('an account without a device yet says so, without a QR code', async () => {
    const backend = backendWithBob(omemoDevice(11));
    backend.ownDevices.clear();
    renderApp();
    const details = await openDetails();
    expect((await within(details).findByTestId('omemo-no-own-device')).textContent).toContain(
      'no OMEMO device yet',
    );
    expect(within(details).queryByTestId('omemo-qr')).toBeNull();
  });

  test('"Close" closes it', async () => {
    backendWithBob(omemoDevice(11));
    renderApp();
    const details = await openDetails();
    await within(details).findByTestId('omemo-device-11');
    await fireEvent.click(within(details).getByRole('button', { name: 'Close' }));
    expect((details as HTMLDialogElement).open).toBe(false);
    expect(within(details).queryByTestId('omemo-device-11')).toBeNull();
  });

  test('rooms and private chats with occupants have none', async () => {
    const backend = new FakeBackend();
    backend.accounts = [ALICE];
    backend.rooms = [room(DEV)];
    backend.conversations = [conversation(`${DEV}/bob`)];
    renderApp();

    await fireEvent.click(await screen.findByTestId(`room-${DEV}`));
    const chat = await screen.findByTestId('chat-view');
    expect(within(chat).queryByTestId('omemo-details-button')).toBeNull();

    await fireEvent.click(screen.getByTestId(`conversation-${DEV}/bob`));
    await waitFor(() => expect(screen.getByTestId('chat-view').dataset['peer']).toBe(`${DEV}/bob`));
    expect(within(screen.getByTestId('chat-view')).getByTestId('mute-toggle')).toBeTruthy();
    expect(within(screen.getByTestId('chat-view')).queryByTestId('omemo-details-button')).toBeNull();
    expect(backend.callsOf('omemo_devices')).toEqual([]);
  });
});

describe('verified badge', () => {
  test('shows when every device of the contact is verified', async () => {
    const backend = backendWithBob(
      omemoDevice(11, { trust: 'verified' }),
      omemoDevice(22, { trust: 'verified' }),
    );
    renderApp();
    const chat = await openBob();
    const badge = await within(chat).findByTestId('omemo-verified');
    expect(badge.textContent?.trim()).toBe('Verified');
    expect(badge.title).toContain("all of Bob's devices");
    expect(backend.callsOf('omemo_devices'), 'read as the chat opens').toEqual([
      { accountId: ALICE.id, peer: BOB },
    ]);
  });

  test('appears once the last device is marked verified, goes with a distrusted one', async () => {
    backendWithBob(omemoDevice(11, { trust: 'verified' }), omemoDevice(22));
    renderApp();
    const details = await openDetails();
    const chat = screen.getByTestId('chat-view');
    await within(details).findByTestId('omemo-verify-22');
    expect(within(chat).queryByTestId('omemo-verified'), 'one is not verified').toBeNull();

    await fireEvent.click(within(details).getByTestId('omemo-verify-22'));
    await within(chat).findByTestId('omemo-verified');
    await settled(details, 22);

    await fireEvent.click(within(details).getByTestId('omemo-distrust-11'));
    await waitFor(() => expect(trustOf(details, 11)).toBe('untrusted'));
    expect(within(chat).queryByTestId('omemo-verified')).toBeNull();
  });

  test('goes when the contact starts using a new device, which is not verified', async () => {
    const backend = backendWithBob(omemoDevice(11, { trust: 'verified' }));
    renderApp();
    const chat = await openBob();
    await within(chat).findByTestId('omemo-verified');

    // The backend records the device and says so in the chat, with their encrypted message.
    backend.omemoDevices.set(encryptionKey(ALICE.id, BOB), [
      omemoDevice(11, { trust: 'verified' }),
      omemoDevice(22),
    ]);
    const line = message(90, { state: 'system', body: `${BOB} uses a new OMEMO device` });
    const sent = message(91, { encryption: 'omemo', body: 'hi from my phone' });
    backend.messages.push(line, sent);
    await backend.emit('linnet://messages', { account_id: ALICE.id, peer: BOB, messages: [line, sent] });
    await waitFor(() => expect(within(chat).queryByTestId('omemo-verified')).toBeNull());

    await fireEvent.click(within(chat).getByTestId('omemo-details-button'));
    const details = screen.getByTestId('omemo-details');
    expect(within(await within(details).findByTestId('omemo-device-22')).getByTestId(
      'omemo-device-trust-22',
    ).textContent?.trim()).toBe('Not verified');
  });

  test('is read again on linnet://conversations', async () => {
    const backend = backendWithBob(omemoDevice(11));
    renderApp();
    const chat = await openBob();
    await waitFor(() => expect(backend.callsOf('omemo_devices')).toHaveLength(1));
    expect(within(chat).queryByTestId('omemo-verified')).toBeNull();

    backend.omemoDevices.set(encryptionKey(ALICE.id, BOB), [omemoDevice(11, { trust: 'verified' })]);
    await backend.emit('linnet://conversations', {});
    await within(chat).findByTestId('omemo-verified');
  });

  test('none without devices', async () => {
    const backend = backendWithBob();
    renderApp();
    const chat = await openBob();
    await waitFor(() => expect(backend.callsOf('omemo_devices')).toHaveLength(1));
    expect(within(chat).queryByTestId('omemo-verified')).toBeNull();
    expect(within(chat).getByTestId('omemo-details-button')).toBeTruthy();
  });
});
