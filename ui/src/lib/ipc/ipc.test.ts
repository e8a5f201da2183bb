import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, test } from 'vitest';
import { isIpcError, listAccounts, toIpcError } from '.';

describe('isIpcError', () => {
  test('accepts the {code, message} shape with a known code', () => {
    expect(isIpcError({ code: 'auth_failed', message: 'not-authorized' })).toBe(true);
  });

  test.each([null, 'network', { code: 'teapot', message: 'x' }, { code: 'network' }, { message: 'x' }])(
    'rejects %j',
    (value) => {
      expect(isIpcError(value)).toBe(false);
    },
  );
});

describe('commands', () => {
  test('reject with the backend IpcError unchanged', async () => {
    mockIPC(() => {
      throw { code: 'keyring_unavailable', message: 'no secret service' };
    });
    await expect(listAccounts()).rejects.toEqual({
      code: 'keyring_unavailable',
      message: 'no secret service',
    });
  });

  test('turn a bare string rejection (e.g. unknown command) into an internal error', async () => {
    mockIPC(() => Promise.reject('command list_accounts not found'));
    await expect(listAccounts()).rejects.toEqual({
      code: 'internal',
      message: 'command list_accounts not found',
    });
  });

  test('toIpcError keeps the message of a JS exception', () => {
    expect(toIpcError(new TypeError('boom'))).toEqual({ code: 'internal', message: 'boom' });
  });
});
