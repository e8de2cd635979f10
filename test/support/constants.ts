/** Where the Worker's outbound Cloudflare API calls go in tests; any host works, the outbound service answers all. */
export const SIMULATOR_ORIGIN = "https://api.cloudflare.test";

/** Secrets the Worker sees in tests; values are distinctive so leak searches can find them. */
export const TEST_SECRETS = {
  API_TOKEN: "test-admin-token-0123456789abcdefghij",
  API_READ_TOKENS: "test-read-token-aaaa,test-read-token-bbbb",
  // k2 first (encrypts), k1 still decrypts.
  ENCRYPTION_KEYS:
    "k2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=,k1:Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=",
} as const;
