package io.sluice.proxy.egress.tls;

import java.io.IOException;

/** A connection to an MX host that DANE binds failed its rules: no STARTTLS, or a chain no TLSA record matches. */
public final class DaneFailure extends IOException {

    public DaneFailure(String message) {
        super(message);
    }

    /** Whether the failure, or one of its causes, is a DANE failure. */
    public static boolean among(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof DaneFailure) {
                return true;
            }
        }
        return false;
    }
}
