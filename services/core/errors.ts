/** Typed errors, mapped to a status and a page or JSON body in one error handler. */
export class AppError extends Error {
  status = 500;
  code = 'internal';
  details?: Record<string, string[]>;
}

export class NotFound extends AppError {
  status = 404;
  code = 'not_found';
  constructor(message = 'Not found') {
    super(message);
  }
}

/** Deliberately vague: a non-member must learn nothing about the business. */
export class Forbidden extends AppError {
  status = 403;
  code = 'forbidden';
  constructor(message = 'You do not have access to this page.') {
    super(message);
  }
}

export class Unauthorized extends AppError {
  status = 401;
  code = 'unauthorized';
  constructor(message = 'Sign in to continue.') {
    super(message);
  }
}

export class BadRequest extends AppError {
  status = 400;
  code = 'bad_request';
  constructor(message: string) {
    super(message);
  }
}

export class Conflict extends AppError {
  status = 409;
  code = 'conflict';
  constructor(message: string) {
    super(message);
  }
}

export class Validation extends AppError {
  status = 422;
  code = 'validation';
  constructor(details: Record<string, string[]>, message = 'Some fields need attention.') {
    super(message);
    this.details = details;
  }
}

/** An upload over its size limit; `details` names the field, as Validation does. */
export class TooLarge extends AppError {
  status = 413;
  code = 'too_large';
  constructor(details: Record<string, string[]>, message = 'That upload is too large.') {
    super(message);
    this.details = details;
  }
}

export class RateLimited extends AppError {
  status = 429;
  code = 'rate_limited';
  constructor(
    public retryAfterSeconds: number,
    message = 'Too many attempts. Please wait and try again.',
  ) {
    super(message);
  }
}
