/** The Kubernetes API: client, kubeconfig, API errors, the list+watch engine and its helpers, shared by source, leader, checkpoint, enrich and ops. */
export { createKubeClient, createKubeClientFromKubeConfig } from './client.js';
export type { KubeClient, KubeClientOptions, LineStream, Query, StreamOptions } from './client.js';
export { loadKubeConfig, expandPath, SERVICE_ACCOUNT_DIR } from './kubeconfig.js';
export type { LoadKubeConfigOptions, LoadedKubeConfig } from './kubeconfig.js';
export { KubeApiError, describeRequest, describeTarget } from './api-error.js';
export type { KubeErrorKind, RequestDescription } from './api-error.js';
export { createListWatch, failuresByReason } from './listwatch.js';
export { failureReason, retryClassOf, FAILURE_REASONS, RETRY_CLASSES } from './failure.js';
export type { FailureReason, RetryClass } from './failure.js';
export { RetryPolicy, DEFAULT_RETRY_BACKOFF, DEFAULT_MAX_RETRY_AFTER_MS } from './retry-policy.js';
export type { RetryPolicyOptions } from './retry-policy.js';
export type { KubeObject, ListWatch, ListWatchCounters, ListWatchItem, ListWatchOptions, ListWatchState } from './listwatch.js';
export { Backoff } from './backoff.js';
export { sleep } from '../sink-kit/sleep.js';
export type { BackoffOptions } from './backoff.js';
export { compileLabelSelector, parseLabelSelector } from './label-selector.js';
export type { LabelMatcher, Requirement } from './label-selector.js';
