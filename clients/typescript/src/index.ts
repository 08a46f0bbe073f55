/*
 * The attain API client: openapi-fetch over the types openapi-typescript
 * generates from ../../openapi.yaml (src/schema.d.ts, `npm run generate`).
 *
 * Every call answers JSON by default: the client is created with the media
 * type "application/json", so a list's `data` is its JSON type, never
 * widened by the `text/csv` answer the same operation gives on request.
 * For CSV, ask for it: spread `asCsv` (below) into a call's options:
 * `{ headers: { Accept: "text/csv" }, parseAs: "text" }`, and `data` is a string.
 */
import createClient from "openapi-fetch";
import type { Client, ClientOptions } from "openapi-fetch";

import type { components, operations, paths } from "./schema.js";

export type { components, operations, paths };
export type Schemas = components["schemas"];
/* Request bodies whose fields have server defaults live under components.requestBodies. */
export type RequestBodies = {
  [K in keyof components["requestBodies"]]: components["requestBodies"][K]["content"]["application/json"];
};

export type AttainClient = Client<paths, "application/json">;

export interface AttainOptions extends ClientOptions {
  /** The service's base URL, e.g. "https://attain.example.com". */
  baseUrl: string;
  /** A bearer token (JWT); sent as Authorization on every call. */
  token?: string;
}

/** A typed client of one attain service. */
export function createAttainClient(options: AttainOptions): AttainClient {
  const { token, headers, ...rest } = options;
  const merged = new Headers(headers as HeadersInit | undefined);
  if (token !== undefined) merged.set("Authorization", `Bearer ${token}`);
  return createClient<paths, "application/json">({ ...rest, headers: merged });
}

/** The options that make a list call answer CSV (`data` is then a string). */
export const asCsv = { headers: { Accept: "text/csv" }, parseAs: "text" } as const;
