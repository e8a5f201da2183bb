import { ERROR_CODES, type ErrorCode, type IpcError } from './bindings';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** True when `value` has the `{code, message}` shape every command rejects with. */
export function isIpcError(value: unknown): value is IpcError {
  return isRecord(value) && isErrorCode(value['code']) && typeof value['message'] === 'string';
}

/**
 * Turns anything a rejected `invoke` produced into an `IpcError`. Unknown shapes (a plain
 * string from Tauri itself, e.g. "command not found", or a JS exception) become `internal`.
 */
export function toIpcError(value: unknown): IpcError {
  if (isIpcError(value)) return { code: value.code, message: value.message };
  if (value instanceof Error) return { code: 'internal', message: value.message };
  if (typeof value === 'string') return { code: 'internal', message: value };
  return { code: 'internal', message: 'Unexpected error' };
}
