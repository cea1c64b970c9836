package io.sluice.config;

/** What kind of traffic a listener takes, which decides the policy applied and where mail goes next. */
public enum ListenerRole {
    /** Mail arriving from the internet, relayed to a backend pool of the receiving MTA. */
    INBOUND,
    /** Mail that the platform's own MTAs send out, delivered to the recipient domain's MX from an egress pool. */
    OUTBOUND
}
