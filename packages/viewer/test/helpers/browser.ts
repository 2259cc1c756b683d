export * from '../../src/testing/browser.ts';
