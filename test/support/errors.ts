/** The one assertion of the API's error shape: exactly \`{error: {code, message, details}}\`. */
import { expect } from "vitest";
import { ERROR_STATUS } from "../../src/lib/errors";
import type { ApiResponse } from "./api";

/**
 * Asserts an error body as a client receives it: JSON, exactly \`{error:{code,message,details}}\`,
 * a known code served with that code's status, a non-empty message, details of \`{path, message}\`.
 */
export function expectErrorBody(status: number, contentType: string | null, body: any, where = "") {
  expect(contentType ?? "", where).toMatch(/^application\/json/);
  expect(Object.keys(body ?? {}), where).toEqual(["error"]);
  expect(Object.keys(body.error).sort(), where).toEqual(["code", "details", "message"]);
  expect(Object.keys(ERROR_STATUS), where).toContain(body.error.code);
  expect(ERROR_STATUS[body.error.code as keyof typeof ERROR_STATUS], where).toBe(status);
  expect(typeof body.error.message, where).toBe("string");
  expect(body.error.message.length, where).toBeGreaterThan(0);
  expect(Array.isArray(body.error.details), where).toBe(true);
  for (const detail of body.error.details) {
    expect(Object.keys(detail).sort(), where).toEqual(["message", "path"]);
    expect(typeof detail.path, where).toBe("string");
    expect(typeof detail.message, where).toBe("string");
  }
}

/** Asserts the status, the code and the exact error shape; returns the error for further checks. */
export function expectError(response: ApiResponse, status: number, code: string) {
  expect({ status: response.status, code: response.body?.error?.code }, response.text).toEqual({
    status,
    code,
  });
  expectErrorBody(response.status, response.headers.get("Content-Type"), response.body, response.text);
  return response.body.error as {
    code: string;
    message: string;
    details: { path: string; message: string }[];
  };
}
