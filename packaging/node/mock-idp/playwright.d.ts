// Types for `mock-idp/playwright`: Playwright Test with a `tenant` worker fixture.
import type { TestType, PlaywrightTestArgs, PlaywrightTestOptions, PlaywrightWorkerArgs, PlaywrightWorkerOptions } from '@playwright/test';
import type { StartOptions, Tenant } from './index';

export interface MockIdpWorkerFixtures {
  /** Options for the worker's tenant (`test.use({ mockIdpOptions: { autoLogin: '...' } })`). */
  mockIdpOptions: StartOptions;
  /** The worker's tenant; the browser trusts its TLS keys. */
  tenant: Tenant;
}

export declare const test: TestType<PlaywrightTestArgs & PlaywrightTestOptions, PlaywrightWorkerArgs & PlaywrightWorkerOptions & MockIdpWorkerFixtures>;
export { expect } from '@playwright/test';
/** The base64 SHA-256 SPKI hashes of the tenant's certificate and CA (for --ignore-certificate-errors-spki-list). */
export declare function tenantKeyHashes(tenant: Tenant): Promise<string[]>;
