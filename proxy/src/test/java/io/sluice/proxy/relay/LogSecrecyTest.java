package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.config.AdminConfig;
import io.sluice.config.HostPort;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Nothing Sluice logs carries an admin token (valid or not) or a line of a message's body. */
class LogSecrecyTest {

    private static final String SECRET = "operator-secret-5f0d9c2e7a41";
    private static final String WRONG = "not-the-secret-9b7e13c4d2aa";
    private static final String BODY_MARKER = "body-line-3c9a71e0-never-logged";

    @Test
    void tokensAndMessageBodiesNeverReachTheLog(@TempDir Path dir) throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), "operator:" + SECRET + "\n");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(captured);
        HttpClient http = HttpClient.newHttpClient();
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .admin(AdminConfig.DEFAULT.withBind(new HostPort("127.0.0.1", 0)).withTokenFile(tokens))
                     .start()) {
            Map<String, Integer> statuses = Map.of(
                    "wrong token", send(http, sluice, "/api/v1/policy", WRONG, null),
                    "policy change", send(http, sluice, "/api/v1/policy", SECRET, "limits: []\n"),
                    "override", send(http, sluice, "/api/v1/overrides", SECRET,
                            "{\"rule\": \"nope-" + SECRET + "\", \"factor\": 2, \"for\": \"1h\"}"),
                    "drain by GET", send(http, sluice, "/api/v1/cluster/drain", SECRET, null));
            assertThat(statuses).containsEntry("wrong token", 401).containsEntry("policy change", 200)
                    .containsEntry("override", 400).containsEntry("drain by GET", 405);
            try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
                client.reply();
                client.command("EHLO client.example");
                client.command("MAIL FROM:<a@example.org>");
                client.command("RCPT TO:<b@example.net>");
                client.command("DATA");
                assertThat(client.command("Subject: " + BODY_MARKER + "\r\n\r\n" + BODY_MARKER + "\r\n."))
                        .startsWith("250 ");
            }
            sink.awaitMessages(1, Duration.ofSeconds(30));
        } finally {
            root.detachAppender(captured);
        }

        List<String> lines = captured.list.stream().map(LogSecrecyTest::everything).toList();
        assertThat(lines).as("the log was captured: the audit line and the transaction line are there")
                .anyMatch(line -> line.contains("policy.replace"))
                .anyMatch(line -> line.contains("outcome=delivered"));
        assertThat(lines).noneMatch(line -> line.contains(SECRET) || line.contains(WRONG)
                || line.contains(BODY_MARKER));
    }

    private static int send(HttpClient http, RunningSluice sluice, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(sluice.admin(path))
                .header("Authorization", "Bearer " + token);
        if (body == null) {
            request.GET();
        } else if (path.endsWith("/policy")) {
            request.header("If-Match", "\"1\"").PUT(HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.POST(HttpRequest.BodyPublishers.ofString(body));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** An event as it could reach the log's output: message, arguments, MDC and any stack trace. */
    private static String everything(ILoggingEvent event) {
        StringBuilder text = new StringBuilder(event.getFormattedMessage());
        if (event.getArgumentArray() != null) {
            text.append(' ').append(Arrays.toString(event.getArgumentArray()));
        }
        text.append(' ').append(event.getMDCPropertyMap());
        for (IThrowableProxy cause = event.getThrowableProxy(); cause != null; cause = cause.getCause()) {
            text.append(' ').append(cause.getMessage());
        }
        return text.toString();
    }
}
