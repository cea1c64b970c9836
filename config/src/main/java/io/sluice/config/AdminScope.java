package io.sluice.config;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** What an admin token may do: each endpoint of the admin API needs one of these. */
public enum AdminScope {
    /** Every {@code GET}, and the requests that only look (validating a policy, explaining a decision). */
    READ,
    /** Adding and removing overrides, and resetting a bucket: what changes how much one key may pass. */
    OVERRIDES,
    /** Replacing the policy. */
    POLICY,
    /** Draining the node. */
    DRAIN,
    /** Suspending and resuming egress sources. */
    EGRESS;

    /** Every scope: what a token written without scopes has, as every token had before scopes. */
    public static final Set<AdminScope> ALL = Collections.unmodifiableSet(EnumSet.allOf(AdminScope.class));

    /** The names as token files write them, for messages: {@code read, overrides, policy, drain, egress}. */
    static final String NAMES = Arrays.stream(values()).map(AdminScope::yamlName).collect(Collectors.joining(", "));

    /** The name as token files and the API write it, such as {@code read}. */
    public String yamlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The scope of that name, or empty when there is none. */
    static Optional<AdminScope> named(String name) {
        return Arrays.stream(values()).filter(scope -> scope.yamlName().equals(name)).findFirst();
    }
}
