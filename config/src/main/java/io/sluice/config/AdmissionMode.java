package io.sluice.config;

/** Whether a backend pool's adaptive admission refuses transactions over the limit it computes. */
public enum AdmissionMode {
    /** Nothing is computed or counted: no cost per transaction. */
    OFF,
    /** The limit is computed and what it would refuse is counted, but nothing is refused: to trust it first. */
    SHADOW,
    /** A MAIL over the limit gets the pool's reply without reaching a backend. */
    ADAPTIVE
}
