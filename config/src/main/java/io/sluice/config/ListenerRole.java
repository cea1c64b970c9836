package io.sluice.config;

/** What kind of traffic a listener takes, which decides the policy applied and where mail goes next. */
public enum ListenerRole {
    /** Mail arriving from the internet, relayed to a backend pool of the receiving MTA. */
    INBOUND
}
