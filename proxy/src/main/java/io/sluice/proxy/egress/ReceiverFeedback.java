package io.sluice.proxy.egress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.FeedbackRule;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.List;

/**
 * Looks at every failure reply of a remote mail exchanger (greeting, EHLO, MAIL, RCPT, DATA, final dot) for the
 * feedback rules, compiled once with the configuration: the first rule a reply matches takes its action at the site
 * the reply came from. A success costs one comparison; a failure the rules' checks on at most
 * {@link FeedbackRule#MAX_TEXT} characters of its text, however long a hostile receiver makes it.
 */
final class ReceiverFeedback {

    /** No rules: nothing is looked at. */
    static final ReceiverFeedback NONE = new ReceiverFeedback(List.of(), null, null);

    private final List<FeedbackRule> rules;
    private final Counter[] matches;
    private final EgressActions actions;

    ReceiverFeedback(List<FeedbackRule> rules, EgressActions actions, MeterRegistry registry) {
        this.rules = List.copyOf(rules);
        this.actions = actions;
        this.matches = new Counter[this.rules.size()];
        for (int i = 0; i < matches.length; i++) {
            // Every rule's series from the start, so that a rate over them is defined before the first match.
            matches[i] = Counter.builder("sluice.egress.feedback.matches").tag("rule", this.rules.get(i).name())
                    .description("Remote replies that matched a feedback rule, by rule").register(registry);
        }
    }

    /** A reply came to {@code source} of {@code pool} from a mail exchanger of {@code site}. */
    void heard(EgressPool pool, SourceAddress source, String site, SmtpReply reply) {
        if (matches.length == 0 || reply.code() < 400 || source == null || site == null) {
            return;
        }
        String enhanced = reply.enhancedCode();
        CharSequence text = text(reply);
        for (int i = 0; i < matches.length; i++) {
            FeedbackRule rule = rules.get(i);
            if (rule.matches(reply.code(), enhanced, text)) {
                matches[i].increment();
                actions.take(rule, pool, source, site, reply.code(), text);
                return;
            }
        }
    }

    /** The reply's lines joined by a space, cut at {@link FeedbackRule#MAX_TEXT} characters. */
    static CharSequence text(SmtpReply reply) {
        StringBuilder text = new StringBuilder(Math.min(FeedbackRule.MAX_TEXT, 256));
        for (String line : reply.lines()) {
            if (text.length() > 0) {
                text.append(' ');
            }
            text.append(line, 0, Math.min(line.length(), FeedbackRule.MAX_TEXT - text.length()));
            if (text.length() >= FeedbackRule.MAX_TEXT) {
                break;
            }
        }
        return text;
    }
}
