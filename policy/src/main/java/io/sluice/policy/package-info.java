/**
 * Limit and routing rules: their compilation into an immutable snapshot, their evaluation, and the
 * cluster-wide buckets behind them. Free of any network code; the proxy calls into it.
 */
package io.sluice.policy;
