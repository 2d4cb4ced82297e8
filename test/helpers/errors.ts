import assert from 'node:assert/strict';
import { ValidationFailed } from '../../src/http/errors.ts';

/** The `[field, messageId]` pairs of the ValidationFailed that `fn` throws (sync or async); fails the test when it throws nothing or something else. */
export async function fieldErrors(fn: () => unknown): Promise<[string, string][]> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof ValidationFailed, `expected ValidationFailed, got ${String(err)}`);
    return err.errors.map((e) => [e.field, e.messageId]);
  }
  assert.fail('no ValidationFailed thrown');
}
