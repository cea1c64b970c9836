/**
 * Sluice's configuration: immutable records loaded from YAML by {@link io.sluice.config.ConfigLoader}, which reports
 * every mistake in a file at once, each with its key path and line.
 */
package io.sluice.config;
