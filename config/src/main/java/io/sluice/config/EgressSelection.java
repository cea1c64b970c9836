package io.sluice.config;

/** How an egress pool chooses the source address of a delivery. */
public enum EgressSelection {
    /** Each source in turn, spreading the volume evenly. */
    ROUND_ROBIN,
    /** One source per destination domain (by hash), so a receiver keeps seeing the same address. */
    STICKY_DOMAIN
}
