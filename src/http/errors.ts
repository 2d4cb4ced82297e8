/**
 * Typed application errors with stable codes. One handler (`http/error-handler.ts`) maps them to
 * HTTP status codes and to RFC 9457 `application/problem+json` for the API or an HTML page.
 * Messages are message-catalog ids, never literal text.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  /** Catalog id of the human-readable title. */
  readonly messageId: string;
  constructor(status: number, code: string, messageId: string) {
    super(code);
    this.status = status;
    this.code = code;
    this.messageId = messageId;
  }
}

/** 404. Also used for records the viewer may not see, so their existence is not revealed. */
export class NotFound extends AppError {
  constructor() {
    super(404, 'not_found', 'errors.not_found');
  }
}

/** 401: the action needs a signed-in account. */
export class SignInRequired extends AppError {
  constructor() {
    super(401, 'sign_in_required', 'errors.sign_in_required');
  }
}

/** 403: signed in, but the role does not allow this action on this record. */
export class Forbidden extends AppError {
  constructor() {
    super(403, 'forbidden', 'errors.forbidden');
  }
}

/** 409: the write conflicts with existing data (a taken slug, a duplicate membership). */
export class Conflict extends AppError {
  readonly field: string | undefined;
  constructor(code: string, messageId: string, field?: string) {
    super(409, code, messageId);
    this.field = field;
  }
}

/** One field's problem: the field name (dotted path for nested values) and a catalog id. */
export interface FieldError {
  field: string;
  messageId: string;
  values?: Record<string, string | number>;
}

/** 422 for forms, 400 for the API: input that does not satisfy the domain rules. */
export class ValidationFailed extends AppError {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(422, 'validation_failed', 'errors.validation_failed');
    this.errors = errors;
  }
}

/**
 * The field errors a form should show for `err`: those of a `ValidationFailed`, or the one field
 * of a field-bound `Conflict` (a taken e-mail or slug). Null for any other error, which the
 * caller rethrows.
 */
export function formFieldErrors(err: unknown): FieldError[] | null {
  if (err instanceof ValidationFailed) return err.errors;
  if (err instanceof Conflict && err.field) return [{ field: err.field, messageId: err.messageId }];
  return null;
}
