package io.sluice.policy.eval;

import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.model.Decision;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What the live policy would do with a hypothetical session, step by step, without taking a token or a slot.
 *
 * @param steps the requests the session makes, up to the first that ends it
 * @param outcome what the session comes to
 * @param retry the sender's standing with retry priority
 */
public record Explanation(List<Step> steps, Outcome outcome, RetryStanding retry) {

    public Explanation {
        steps = List.copyOf(steps);
    }

    /**
     * The sender's standing with retry priority, as its MAIL finds it.
     *
     * @param enabled whether retry priority is on
     * @param reservedShare the share of each refusing rule's bucket a first-time sender may not take
     * @param returning whether the sender (its client network and address) has a mark of an earlier deferral
     * @param firstDeferred when it was first deferred, in epoch milliseconds (to within one generation of the marks);
     *     empty for a first-time sender
     * @param keptShare the share of each limit this sender may not take at MAIL and RCPT
     *     ({@code RetryPriority.keptShare}): all of the reserve for a first-time sender, less by age tier for a
     *     returning one
     */
    public record RetryStanding(boolean enabled, double reservedShare, boolean returning, OptionalLong firstDeferred,
                                double keptShare) {
    }

    /** What the session comes to. */
    public enum Outcome {
        /** Refused at connection: the client gets the refusal instead of the greeting. */
        CONNECTION_REFUSED,
        /** Refused at MAIL: the message is not taken now. */
        MESSAGE_REFUSED,
        /** Every recipient refused: the message is not taken now. */
        RECIPIENTS_REFUSED,
        /** Some recipients refused: the message goes to the others, the client retries the rest later. */
        PARTIALLY_ADMITTED,
        /** Passed on to the next hop. */
        ADMITTED
    }

    /**
     * One request of the session.
     *
     * @param subject the recipient, at RCPT; empty at other stages
     * @param decision what the policy answers
     * @param rules every rule that applies to the request, in the order they are asked
     */
    public record Step(Stage stage, Optional<String> subject, Decision decision, List<RuleCheck> rules) {
        public Step {
            rules = List.copyOf(rules);
        }
    }

    /**
     * One rule asked for one request.
     *
     * @param key the rule's key for the request, such as {@code 198.51.100.0/24}
     * @param cost tokens (or one slot) the request takes
     * @param available tokens (or free slots) there are now, less what earlier steps of this session would take
     * @param enough whether the request fits
     * @param shadow whether the rule only counts
     * @param override the id of the override in force for this key
     * @param fairShare for a rule sharing its bucket fairly, the request's standing in its fair share
     * @param reserve for a rate limit that refuses, at HELO, MAIL and RCPT with retry priority on: its bucket's
     *     reserve for returning senders
     */
    public record RuleCheck(String rule, String key, long cost, long available, boolean enough, boolean shadow,
                            Optional<String> override, Optional<FairShareCheck> fairShare,
                            Optional<ReserveCheck> reserve) {

        /** A check of a rule without fair sharing or reserve. */
        public RuleCheck(String rule, String key, long cost, long available, boolean enough, boolean shadow,
                         Optional<String> override) {
            this(rule, key, cost, available, enough, shadow, override, Optional.empty(), Optional.empty());
        }
    }

    /**
     * A rate limit's reserve for returning deferred senders, now.
     *
     * @param reservedTokens the tokens of its bucket a first-time sender may not take
     * @param refusesFirstTime whether the reserve refuses a first-time sender now: the bucket has the tokens, but
     *     taking them would leave fewer than the reserved ones (a returning sender takes them)
     */
    public record ReserveCheck(long reservedTokens, boolean refusesFirstTime) {
    }

    /**
     * Where a request stands in its key's fair share of a rule's bucket, in the current window on this node.
     *
     * @param key the key the bucket is shared across, such as {@code 198.51.100.0/24}
     * @param allowance the tokens the key may take in this window on this node while the bucket is tight, paced over
     *     the window (by a tenth of the window, a tenth of it); empty when the key is not capped (its demand was within
     *     the water level, or it is new)
     * @param taken the tokens the key took in this window on this node
     * @param overShare whether the request is refused for fairness: the key is past its allowance and the bucket is
     *     tight, though the bucket has tokens for it
     * @param level the water level across the cluster: the most tokens a key may take in this window while the
     *     bucket is tight (a key's cap); empty when every key's demand in the window before fitted the rate, or this
     *     node saw none
     */
    public record FairShareCheck(String key, OptionalDouble allowance, long taken, boolean overShare,
                                 OptionalDouble level) {
    }
}
