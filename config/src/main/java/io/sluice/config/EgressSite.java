package io.sluice.config;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A destination site: the receivers whose MX host names end in one of the suffixes, shaped as one whatever the
 * recipient domain (Google's MXes serve gmail.com, googlemail.com and every Workspace domain).
 *
 * @param name the site's name in rule keys and meters
 * @param mxSuffixes {@code .google.com} matches every host under google.com; {@code mx.example.com} only itself
 */
public record EgressSite(String name, List<String> mxSuffixes) {

    public EgressSite {
        Objects.requireNonNull(name, "name");
        mxSuffixes = mxSuffixes.stream().map(suffix -> suffix.toLowerCase(Locale.ROOT)).toList();
        if (mxSuffixes.isEmpty()) {
            throw new IllegalArgumentException("site " + name + ": mx-suffixes: [] (expected: at least one)");
        }
    }

    /** Whether the MX host (lower case, no trailing dot) is one of the site's. */
    public boolean matches(String mxHost) {
        for (String suffix : mxSuffixes) {
            if (suffix.startsWith(".") ? mxHost.endsWith(suffix) : mxHost.equals(suffix)) {
                return true;
            }
        }
        return false;
    }
}
