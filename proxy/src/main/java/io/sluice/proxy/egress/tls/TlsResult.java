package io.sluice.proxy.egress.tls;

/**
 * How a connection to a mail exchanger met its {@link TlsRequirement}: success, or the failure as RFC 8460 §4.3
 * names it (with {@code mx-not-in-policy} for an MX host the MTA-STS policy does not name, which RFC 8460 reports as
 * a validation failure), for the outcome counters and the TLS reports built from them.
 */
public enum TlsResult {
    SUCCESS("success", ""),
    STARTTLS_NOT_SUPPORTED("starttls-not-supported", "starttls-not-supported"),
    CERTIFICATE_HOST_MISMATCH("certificate-host-mismatch", "certificate-host-mismatch"),
    CERTIFICATE_EXPIRED("certificate-expired", "certificate-expired"),
    CERTIFICATE_NOT_TRUSTED("certificate-not-trusted", "certificate-not-trusted"),
    VALIDATION_FAILURE("validation-failure", "validation-failure"),
    MX_NOT_IN_POLICY("mx-not-in-policy", "validation-failure"),
    TLSA_INVALID("tlsa-invalid", "tlsa-invalid"),
    DNSSEC_INVALID("dnssec-invalid", "dnssec-invalid"),
    STS_POLICY_FETCH_ERROR("sts-policy-fetch-error", "sts-policy-fetch-error"),
    STS_POLICY_INVALID("sts-policy-invalid", "sts-policy-invalid"),
    STS_WEBPKI_INVALID("sts-webpki-invalid", "sts-webpki-invalid");

    private final String tag;
    private final String reportType;

    TlsResult(String tag, String reportType) {
        this.tag = tag;
        this.reportType = reportType;
    }

    /** The {@code result} tag of the outcome counters. */
    public String tag() {
        return tag;
    }

    /** The result-type of an RFC 8460 report's failure details; empty for a success. */
    public String reportType() {
        return reportType;
    }
}
