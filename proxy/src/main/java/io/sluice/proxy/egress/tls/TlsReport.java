package io.sluice.proxy.egress.tls;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.config.TlsReportsConfig;
import io.sluice.proxy.egress.tls.TlsReportCounts.Detail;
import io.sluice.proxy.egress.tls.TlsReportCounts.Tally;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.zip.GZIPOutputStream;

/**
 * One daily TLS report of one policy domain (RFC 8460 §4): who reports, the day, and per kind of policy the domain
 * had that day the sessions that succeeded and those that failed, by result type and, where known, MX host and
 * addresses. The MTA-STS policy string and MX patterns are those of the policy this node holds when it reports;
 * a DANE policy is reported without its TLSA records, which the counts do not keep.
 *
 * @param domain the policy domain
 * @param day the UTC day reported
 * @param id the report id, the same whenever the same day of the same domain is reported
 * @param json the report
 */
record TlsReport(String domain, LocalDate day, String id, byte[] json) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param tallies the domain's counts of the day, one per kind of policy
     * @param stsPolicy the MTA-STS policy of a domain, if this node holds one
     */
    static TlsReport of(TlsReportsConfig config, String domain, LocalDate day, List<Tally> tallies,
                        Function<String, Optional<MtaStsPolicy>> stsPolicy) {
        String id = UUID.nameUUIDFromBytes((config.submitter() + "/" + domain + "/" + day)
                .getBytes(StandardCharsets.UTF_8)) + "@" + config.submitter();
        ObjectNode report = JSON.createObjectNode();
        report.put("organization-name", config.organization());
        ObjectNode range = report.putObject("date-range");
        range.put("start-datetime", day.atStartOfDay(ZoneOffset.UTC).format(DateTimeFormatter.ISO_INSTANT));
        range.put("end-datetime", day.atTime(23, 59, 59).atOffset(ZoneOffset.UTC)
                .format(DateTimeFormatter.ISO_INSTANT));
        report.put("contact-info", config.contact());
        report.put("report-id", id);
        ArrayNode policies = report.putArray("policies");
        for (Tally tally : tallies) {
            ObjectNode entry = policies.addObject();
            ObjectNode policy = entry.putObject("policy");
            policy.put("policy-type", tally.policy() == PolicyType.NONE ? "no-policy-found" : tally.policy().tag());
            if (tally.policy() == PolicyType.STS) {
                stsPolicy.apply(domain).ifPresent(sts -> {
                    ArrayNode lines = policy.putArray("policy-string");
                    Arrays.stream(sts.text().split("\r\n")).filter(line -> !line.isEmpty()).forEach(lines::add);
                    ArrayNode mx = policy.putArray("mx-host");
                    sts.mx().forEach(mx::add);
                });
            }
            policy.put("policy-domain", domain);
            ObjectNode summary = entry.putObject("summary");
            summary.put("total-successful-session-count", tally.successes());
            summary.put("total-failure-session-count", tally.failed());
            if (!tally.failures().isEmpty()) {
                ArrayNode details = entry.putArray("failure-details");
                tally.failures().entrySet().stream()
                        .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                        .forEach(failure -> detail(details.addObject(), failure.getKey(), failure.getValue()));
            }
        }
        try {
            return new TlsReport(domain, day, id, JSON.writeValueAsBytes(report));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void detail(ObjectNode node, Detail detail, long count) {
        node.put("result-type", detail.resultType());
        if (!detail.sendingIp().isEmpty()) {
            node.put("sending-mta-ip", detail.sendingIp());
        }
        if (!detail.mxHost().isEmpty()) {
            node.put("receiving-mx-hostname", detail.mxHost());
        }
        if (!detail.receivingIp().isEmpty()) {
            node.put("receiving-ip", detail.receivingIp());
        }
        node.put("failed-session-count", count);
    }

    /** The report gzip-compressed, as both ways of delivery send it (RFC 8460 §5.3). */
    byte[] gzip() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * The attachment's file name, RFC 8460 §5.3: {@code submitter!policy-domain!begin-timestamp!end-timestamp.json.gz}
     * with the timestamps in seconds since the epoch.
     */
    String fileName(String submitter) {
        long start = day.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        return submitter + "!" + domain + "!" + start + "!" + (start + 86_399) + ".json.gz";
    }
}
