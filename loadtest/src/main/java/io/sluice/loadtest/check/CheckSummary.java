package io.sluice.loadtest.check;

/**
 * What the backend received of one run, held against what the generator was told: proof of loss, duplication
 * and corruption.
 *
 * @param admitted    messages the generator got 250 for after the final dot
 * @param received    messages of the run the backend accepted, duplicates included
 * @param lost        admitted by the client but never received: the one failure a relay must never have
 * @param duplicates  received more than once
 * @param corrupt     received with a body whose hash differs from the one its header announced
 * @param unconfirmed received although the client got no 250 (the RFC 1047 window: a duplicate once retried)
 */
public record CheckSummary(long admitted, long received, long lost, long duplicates, long corrupt, long unconfirmed) {

    /** No loss, no duplicate, no corruption. */
    public boolean clean() {
        return lost == 0 && duplicates == 0 && corrupt == 0;
    }
}
