package io.sluice.policy.eval;

import io.sluice.config.Counted;
import io.sluice.config.RetryPriority;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.policy.retry.MarkKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The limits of one client session: asks the engine at each stage, keeps the session slots it holds until
 * {@link #close()}, and what this transaction was charged. Called from one thread at a time (the session's);
 * answers may complete on another.
 */
public final class SessionLimits {

    private final PolicyEngine engine;
    private Facts facts;
    private final HeldLeases leases = new HeldLeases();
    // This transaction: buckets charged once per transaction, and byte charges to settle after the data.
    private final Set<String> chargedOnce = new HashSet<>();
    private final List<Plan.Charge> byteCharges = new ArrayList<>();
    // This transaction's mark (client network and sender), and when its sender was first deferred (-1: never, or
    // retry priority off), decided at MAIL.
    private long markKey;
    private boolean markKeyKnown;
    private long firstDeferred = -1;
    private boolean returningCounted;

    SessionLimits(PolicyEngine engine, Facts facts) {
        this.engine = engine;
        this.facts = facts;
    }

    public Facts facts() {
        return facts;
    }

    /** Before the greeting: connection rates and session slots. A refusal closes the connection. */
    public CompletableFuture<Decision> connect() {
        return decide(Stage.CONNECT);
    }

    /** The client said HELO/EHLO; nothing is charged for it, but later keys and conditions may use the name. */
    public void helo(String name) {
        facts = facts.withHelo(name);
    }

    /**
     * A MAIL command: message and byte rates. Starts a new transaction, whose sender is returning if a mark of an
     * earlier deferral is found for its client network and address; a 4xx leaves a mark.
     */
    public CompletableFuture<Decision> mail(String sender, long declaredSize) {
        endTransaction();
        facts = facts.withSender(sender, declaredSize);
        markKeyKnown = false;
        // Only marks are kept under the key: with retry priority off, nothing asks for it.
        firstDeferred = retryPriority().enabled() ? engine.firstDeferred(markKey()) : -1;
        return markingDeferrals(decide(Stage.MAIL), false);
    }

    /** Whether this transaction's sender was deferred before (decided at MAIL): it may take the reserved shares. */
    public boolean returning() {
        return firstDeferred >= 0;
    }

    /**
     * The share of a limit this transaction may not take, such as a backend pool's adaptive in-flight limit: the
     * policy's reserved share for a first-time sender, less for a returning one the longer ago it was first deferred
     * ({@link RetryPriority#keptShare}), nothing with retry priority off.
     */
    public double reservedShare() {
        RetryPriority retry = retryPriority();
        // The clock counts only for a returning sender's tier: a MAIL's decision otherwise reads it once, for the
        // fair shares' window.
        return retry.keptShare(firstDeferred, firstDeferred < 0 || retry.tiers() == 1 ? 0 : engine.millis());
    }

    /** A limit outside the policy (a backend pool's admission) deferred this transaction at MAIL: it leaves a mark. */
    public void deferred() {
        if (facts.sender() != null && retryPriority().enabled()) {
            engine.deferred(markKey());
        }
    }

    /** Outbound: the egress pool, source address and destination site of the transaction, for the keys naming them. */
    public void egress(String pool, String source, String site) {
        facts = facts.withEgress(pool, source, site);
    }

    /** A RCPT command: recipient rates, and message rates by recipient-side keys (once per key and transaction). */
    public CompletableFuture<Decision> rcpt(String recipient) {
        facts = facts.withRecipient(recipient);
        return markingDeferrals(decide(Stage.RCPT), true);
    }

    /** The message data ended with {@code size} octets: byte limits are settled to the real size. */
    public void dataEnd(long size) {
        for (Plan.Charge charge : byteCharges) {
            engine.charge(charge, size - charge.tokens());
        }
        byteCharges.clear();
    }

    /** The transaction ended (delivered, refused or reset). */
    public void endTransaction() {
        chargedOnce.clear();
        byteCharges.clear();
        firstDeferred = -1;
        returningCounted = false;
    }

    /** The session ended: its slots are given back. */
    public void close() {
        leases.release();
    }

    /**
     * Before Sluice opens a connection to {@code server} ({@code pool/host:port}) for this session: the slots of
     * the backend-server rules, won into {@code slots}, which the caller gives back when that connection closes
     * (it may outlive the session, kept for reuse).
     */
    public CompletableFuture<Decision> backend(String server, HeldLeases slots) {
        Plan plan = engine.policy().backendPlan(facts.withBackendServer(server));
        return plan.isEmpty() ? PolicyEngine.ADMITTED : engine.decide(plan, slots);
    }

    /**
     * Outbound: before Sluice opens a connection to the transaction's destination site ({@link #egress}), the slots
     * of the destination-site and source-site rules, won into {@code slots}, which the caller gives back when that
     * connection closes (it may outlive the session, kept for reuse).
     */
    public CompletableFuture<Decision> remote(HeldLeases slots) {
        Plan plan = engine.policy().backendPlan(facts);
        return plan.isEmpty() ? PolicyEngine.ADMITTED : engine.decide(plan, slots);
    }

    /** This transaction's mark key, hashed at its first use. */
    private long markKey() {
        if (!markKeyKnown) {
            markKey = MarkKey.of(facts.clientIp(), facts.sender());
            markKeyKnown = true;
        }
        return markKey;
    }

    private RetryPriority retryPriority() {
        return engine.policy().config().retryPriority();
    }

    /**
     * A 4xx leaves a mark; at the first recipient admitted, a returning sender counts as admitted, with its delay
     * since the first deferral.
     */
    private CompletableFuture<Decision> markingDeferrals(CompletableFuture<Decision> decided, boolean recipient) {
        if (!retryPriority().enabled()) {
            return decided;
        }
        if (decided.isDone() && !decided.isCompletedExceptionally()) {
            // The common case, decided at once: no dependent future.
            followUp(decided.join(), recipient);
            return decided;
        }
        return decided.thenApply(decision -> {
            followUp(decision, recipient);
            return decision;
        });
    }

    private void followUp(Decision decision, boolean recipient) {
        if (!decision.admitted()) {
            if (decision.reply().code() / 100 == 4) {
                engine.deferred(markKey());
            }
        } else if (recipient && returning() && !returningCounted) {
            returningCounted = true;
            engine.returningAdmitted(firstDeferred);
        }
    }

    private CompletableFuture<Decision> decide(Stage stage) {
        Plan plan = engine.policy().plan(stage, facts);
        if (plan.isEmpty()) {
            return PolicyEngine.ADMITTED;
        }
        Plan once = withoutChargedOnce(plan);
        if (once.isEmpty()) {
            return PolicyEngine.ADMITTED;
        }
        CompletableFuture<Decision> decided = engine.decide(once, leases, reservedShare());
        if (decided.isDone() && !decided.isCompletedExceptionally()) {
            // The common case, decided at once: no dependent future.
            remembering(once, decided.join());
            return decided;
        }
        return decided.thenApply(decision -> remembering(once, decision));
    }

    private Decision remembering(Plan plan, Decision decision) {
        if (decision.admitted()) {
            remember(plan);
        }
        return decision;
    }

    private Plan withoutChargedOnce(Plan plan) {
        if (chargedOnce.isEmpty()) {
            return plan;
        }
        List<Plan.Charge> charges = plan.charges().stream()
                .filter(charge -> !(charge.limit().oncePerTransaction() && chargedOnce.contains(charge.bucketKey())))
                .toList();
        return charges.size() == plan.charges().size() ? plan : new Plan(plan.stage(), charges, plan.holds());
    }

    // Runs where the answer completes; the session's next request waits for this one, so no one races it.
    private void remember(Plan plan) {
        for (Plan.Charge charge : plan.charges()) {
            if (charge.limit().oncePerTransaction()) {
                chargedOnce.add(charge.bucketKey());
            } else if (charge.limit().rule().counts() == Counted.BYTES) {
                byteCharges.add(charge);
            }
        }
    }
}
