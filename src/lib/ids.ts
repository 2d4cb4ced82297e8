import { uuidv7 } from 'uuidv7';

/** A new UUIDv7 (RFC 9562) as lower-case text: time-ordered, used for every primary key. */
export function newId(): string {
  return uuidv7();
}
