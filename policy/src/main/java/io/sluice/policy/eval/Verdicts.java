package io.sluice.policy.eval;

import io.sluice.config.LimitRule.Exceeded;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.fairshare.FairShareBook;
import io.sluice.policy.model.Decision;
import io.sluice.policy.ratelimit.Lease;
import io.sluice.policy.ratelimit.Probe;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Turns the buckets' and the lease store's answers to a plan into one decision: a pure function. */
final class Verdicts {

    private Verdicts() {
    }

    /**
     * The share a request's sender is kept out of at this stage: {@code keptShare} at MAIL and RCPT, which know the
     * sender; none before them (a connection or a greeting is nobody's first time, nor a return).
     */
    static double keptAt(Stage stage, double keptShare) {
        return stage == Stage.MAIL || stage == Stage.RCPT ? keptShare : 0;
    }

    /**
     * The buckets' answers as a sender kept out of {@code keptShare} of every bucket gets them
     * ({@link RetryPriority#keptShare}): where an enforcing rule that refuses gave tokens that leave its bucket with
     * fewer than that share's tokens (rounded down), the answer is a refusal, with the time until the bucket is back
     * above the share as its retry hint. The same array when no answer changes.
     */
    static Probe[] withReserve(Plan plan, Probe[] probes, double keptShare) {
        if (keptShare <= 0) {
            return probes;
        }
        Probe[] answered = probes;
        for (int i = 0; i < probes.length; i++) {
            Plan.Charge charge = plan.charges().get(i);
            if (inReserve(probes[i], charge, keptShare)) {
                if (answered == probes) {
                    answered = probes.clone();
                }
                long missing = floor(charge, keptShare) - probes[i].remaining();
                long nanosPerToken = charge.spec().refillPeriod().toNanos() / charge.spec().refillTokens();
                answered[i] = new Probe(false, probes[i].remaining(), nanosPerToken * missing);
            }
        }
        return answered;
    }

    /** Whether tokens taken from an enforcing, refusing rule's bucket went into the share the sender is kept out of. */
    static boolean inReserve(Probe probe, Plan.Charge charge, double keptShare) {
        return probe.consumed() && probe.remaining() < floor(charge, keptShare);
    }

    /**
     * The tokens a charge must leave in its bucket for a sender kept out of {@code keptShare}: that share of the
     * capacity, rounded down, for an enforcing rule that refuses; none for a shadow rule or one that only delays.
     */
    static long floor(Plan.Charge charge, double keptShare) {
        CompiledLimit limit = charge.limit();
        return keptShare > 0 && !limit.rule().shadow() && limit.rule().exceeded() == Exceeded.REFUSE
                ? RetryPriority.wholeShare(charge.spec().capacity(), keptShare) : 0;
    }

    /**
     * The answers with each fair-share charge over its key's share ({@link #overShare}) refused, with the end of the
     * window {@code now} falls in as its retry hint. The same array when no answer changes.
     *
     * @param shares each charge's key's standing; null where the charge has no fair share or its key is not capped
     */
    static Probe[] withShares(Plan plan, Probe[] probes, FairShareBook.Share[] shares, long now) {
        Probe[] answered = probes;
        for (int i = 0; i < probes.length; i++) {
            if (overShare(probes[i], plan.charges().get(i), shares[i])) {
                if (answered == probes) {
                    answered = probes.clone();
                }
                answered[i] = new Probe(false, probes[i].remaining(),
                        TimeUnit.MILLISECONDS.toNanos(FairShareBook.millisLeft(now)));
            }
        }
        return answered;
    }

    /**
     * Whether a request that got tokens from a fair-share rule's bucket is refused for its key's fair share: its key
     * is capped this window and past its allowance with these tokens, and the bucket is tight, left with less than
     * {@link #SPARE_SHARE} of its capacity. Above that the bucket has tokens to spare and anyone may take them, so a
     * rule under its limit refuses nobody for fairness.
     *
     * @param share the key's standing this window; null when it is not capped
     */
    static boolean overShare(Probe probe, Plan.Charge charge, FairShareBook.Share share) {
        return probe.consumed() && share != null && share.over(charge.tokens())
                && probe.remaining() < RetryPriority.wholeShare(charge.spec().capacity(), SPARE_SHARE);
    }

    /**
     * The share of a fair-share rule's bucket a key over its fair share may not take: the keys under their shares
     * find tokens there, however fast the heavy ones ask.
     */
    static final double SPARE_SHARE = 0.5;

    /**
     * The first enforcing rule that refused decides (file order, concurrency first); shadow rules never do.
     * Rules that only delay make the request wait for the longest of their tarpits, then go on.
     *
     * @param probes the buckets' answers, one per charge of the plan
     * @param won the slot each hold of the plan got, or null where it got none
     */
    static Decision decide(Plan plan, Probe[] probes, Lease[] won) {
        for (int i = 0; i < won.length; i++) {
            CompiledConcurrency rule = plan.holds().get(i).rule();
            if (won[i] == null && !rule.rule().shadow()) {
                return Decision.refuse(rule.rule().name(), rule.reply(), Duration.ZERO, Duration.ZERO);
            }
        }
        Duration delay = Duration.ZERO;
        String delayedBy = null;
        for (int i = 0; i < probes.length; i++) {
            Probe probe = probes[i];
            CompiledLimit limit = plan.charges().get(i).limit();
            if (probe.consumed() || limit.rule().shadow()) {
                continue;
            }
            if (limit.rule().exceeded() == Exceeded.REFUSE) {
                return Decision.refuse(limit.rule().name(), limit.reply(), limit.rule().tarpit(),
                        Duration.ofNanos(probe.nanosToWait()));
            }
            if (limit.rule().tarpit().compareTo(delay) > 0) {
                delay = limit.rule().tarpit();
                delayedBy = limit.rule().name();
            }
        }
        return delayedBy == null ? Decision.ADMIT : Decision.delay(delayedBy, delay);
    }
}
