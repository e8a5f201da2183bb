import { describe, expect, test } from 'vitest';
import { checkChatJid, checkJid, checkPort, describeRoute } from './describe';
import { formatFingerprint, omemoFingerprintGroups } from '../../format/fingerprint';

describe('checkJid', () => {
  test.each(['alice@example.org', 'ALICE@xn--exmple-cua.org', 'a@b'])('accepts %j', (jid) => {
    expect(checkJid(jid)).toBeNull();
  });

  test.each(['', '   ', 'alice', '@example.org', 'alice@', 'a@b@c', 'al ice@example.org'])(
    'rejects %j',
    (jid) => {
      expect(checkJid(jid)).not.toBeNull();
    },
  );
});

describe('describeRoute', () => {
  test('an SRV target: host, port, address, TLS kind and how it was found', () => {
    expect(
      describeRoute({ host: 'xmpp.example.org', port: 5222, address: '192.0.2.7:5222', direct_tls: false, from_srv: true, mechanism: null, sasl2: false }),
    ).toBe('Connected to xmpp.example.org:5222 (192.0.2.7:5222) with STARTTLS, found through the domain’s DNS SRV records.');
  });

  test('a host given by hand as an address is not repeated', () => {
    expect(
      describeRoute({ host: '127.0.0.1', port: 5223, address: '127.0.0.1:5223', direct_tls: true, from_srv: false, mechanism: null, sasl2: false }),
    ).toBe('Connected to 127.0.0.1:5223 with direct TLS.');
  });

  test('the login: its mechanism, SASL2, and whether a token stood in for the password', () => {
    const route = { host: 'h', port: 5222, address: 'h:5222', direct_tls: false, from_srv: false };
    expect(describeRoute({ ...route, mechanism: 'SCRAM-SHA-1', sasl2: false })).toBe(
      'Connected to h:5222 with STARTTLS. Signed in with SCRAM-SHA-1.',
    );
    expect(describeRoute({ ...route, mechanism: 'HT-SHA-256-EXPR', sasl2: true })).toBe(
      'Connected to h:5222 with STARTTLS. Signed in with HT-SHA-256-EXPR (SASL2), this device’s login token, without the password.',
    );
  });
});

describe('checkPort', () => {
  test.each([['', null], ['5222', null], ['0', 'x'], ['65536', 'x'], ['52a', 'x']])(
    '%j',
    (port, expected) => {
      expect(checkPort(port) === null).toBe(expected === null);
    },
  );
});

describe('omemoFingerprintGroups', () => {
  test('eight groups of eight lower-case hex digits, whatever the spacing and case', () => {
    const groups = ['0123abcd', '4567ef01', '89abcdef', '01234567', 'fedcba98', '76543210', '00112233', 'aabbccdd'];
    expect(omemoFingerprintGroups(groups.join(' '))).toEqual(groups);
    expect(omemoFingerprintGroups(groups.join('').toUpperCase())).toEqual(groups);
  });

  test('null for anything else', () => {
    expect(omemoFingerprintGroups('not a fingerprint')).toBeNull();
    expect(omemoFingerprintGroups('0123abcd'.repeat(7))).toBeNull();
  });
});

describe('formatFingerprint', () => {
  test('groups 64 hex digits in uppercase pairs', () => {
    expect(formatFingerprint('0a'.repeat(32))).toBe(Array(32).fill('0A').join(':'));
  });

  test('leaves anything else alone', () => {
    expect(formatFingerprint('not a hash')).toBe('not a hash');
  });
});

describe('checkJid for a contact', () => {
  test('speaks of the contact, not of the user', () => {
    expect(checkJid('', 'contact')).toContain("contact's Jabber ID");
    expect(checkJid('bob', 'contact')).toContain('friend@example.org');
    expect(checkJid('bob@example.org', 'contact')).toBeNull();
  });
});

describe('checkChatJid', () => {
  test.each(['bob@example.org', 'example.org', 'gateway.example.org', 'bob@localhost'])('accepts %j', (jid) => {
    expect(checkChatJid(jid)).toBeNull();
  });

  test.each(['', '  ', 'bob @example.org', 'a@b@c', '@example.org', 'bob@', 'bob@example..org', 'bob@.org'])(
    'refuses %j in words',
    (jid) => {
      expect(checkChatJid(jid)?.length).toBeGreaterThan(10);
    },
  );
});
