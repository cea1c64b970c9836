package io.sluice.loadtest.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * A pool's adaptive admission as the proxy's {@code /metrics} shows it: the limit and the transactions in flight.
 * The metrics page is open by default, so the demo needs no token.
 */
final class AdmissionGauges {

    /** One reading; empty where the page did not answer or has no such gauge (admission off). */
    record Reading(OptionalDouble limit, OptionalDouble inflight) {
        static final Reading NONE = new Reading(OptionalDouble.empty(), OptionalDouble.empty());
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final URI metrics;
    private final String pool;

    AdmissionGauges(int adminPort, String pool) {
        this.metrics = URI.create("http://127.0.0.1:" + adminPort + "/metrics");
        this.pool = pool;
    }

    Reading read() throws InterruptedException {
        try {
            HttpResponse<String> page = client.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(1))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (page.statusCode() != 200) {
                return Reading.NONE;
            }
            return parse(page.body(), pool);
        } catch (IOException e) {
            return Reading.NONE; // a sample missed: the chart has a gap there
        }
    }

    /** The gauges of {@code pool} in a page of the Prometheus text format. */
    static Reading parse(String page, String pool) {
        return new Reading(gauge(page, "sluice_admission_limit", pool),
                gauge(page, "sluice_admission_inflight", pool));
    }

    private static OptionalDouble gauge(String page, String name, String pool) {
        String label = "pool=\"" + pool + "\"";
        for (String line : page.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(label)) {
                try {
                    return OptionalDouble.of(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1).trim()));
                } catch (NumberFormatException e) {
                    return OptionalDouble.empty();
                }
            }
        }
        return OptionalDouble.empty();
    }
}
