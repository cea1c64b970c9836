package io.sluice.proxy.session;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.RuleReply;
import io.sluice.policy.model.Decision;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** How a session handler waits for the flow-control policy and turns its refusals into replies. */
public final class PolicyAnswers {

    private static final Logger limitLog = LoggerFactory.getLogger("io.sluice.limit");

    private PolicyAnswers() {
    }

    /**
     * Continues with the policy's decision on the session's executor, after its tarpit delay if it has one, unless
     * the session has closed meanwhile. Reads stay paused: the framer hands over no command before the session
     * asks for the next.
     */
    public static void whenDecided(CompletableFuture<Decision> decided, ScheduledExecutorService executor,
                                   BooleanSupplier closed, Consumer<Decision> then) {
        Decision now = decided.getNow(null);
        if (now != null && now.delay().isZero()) {
            then.accept(now);
            return;
        }
        decided.whenComplete((decision, error) -> {
            Runnable proceed = () -> {
                if (!closed.getAsBoolean()) {
                    then.accept(decision);
                }
            };
            long delay = decision.delay().toNanos();
            if (delay == 0) {
                executor.execute(proceed);
            } else {
                executor.schedule(proceed, delay, TimeUnit.NANOSECONDS);
            }
        });
    }

    /** The reply for a refusal, logged at DEBUG on {@code io.sluice.limit} (the counters carry the totals). */
    public static SmtpReply refusal(Decision decision, ClientInfo client) {
        RuleReply reply = decision.reply();
        limitLog.debug("limited", kv("session", client.sessionId()), kv("listener", client.listener()),
                kv("client_ip", client.ip()), kv("rule", decision.rule().orElse("")), kv("reply", reply.code()),
                kv("retry_after_ms", decision.retryAfter().toMillis()));
        return SmtpReply.of(reply.code(), reply.enhancedCode(), reply.text());
    }
}
