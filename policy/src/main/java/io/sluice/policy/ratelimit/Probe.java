package io.sluice.policy.ratelimit;

/**
 * The answer of a bucket to a request for tokens.
 *
 * @param consumed whether the tokens were taken
 * @param remaining tokens left after the request
 * @param nanosToWait when refused, how long until the tokens would be there (the retry hint)
 */
public record Probe(boolean consumed, long remaining, long nanosToWait) {

    public static Probe consumed(long remaining) {
        return new Probe(true, remaining, 0);
    }
}
