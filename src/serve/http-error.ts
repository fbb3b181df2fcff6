// Every error a client sees has one form, {code, message, path}, and the status of its code in src/errors.ts.
import { type ErrorCode, HTTP_STATUS, type OptmsmError } from '../errors.js';
import type { ErrorBody } from './schemas.js';

export const errorBody = (error: OptmsmError, path = error.location): ErrorBody => ({
  code: error.code, message: error.message, path: path ?? null,
});

export const statusOf = (code: ErrorCode): number => HTTP_STATUS[code];

/** Seconds a shed or draining client is told to wait before it retries. */
export const RETRY_AFTER_SECONDS = 1;
