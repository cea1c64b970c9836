package io.sluice.config;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads admin tokens written as {@code name:secret:scopes} (scopes separated by commas; without {@code :scopes} a
 * token has every scope, as tokens had before scopes), one per line in a file, or separated by lines or commas in
 * an environment variable. Problems name the line or the entry, never its text: it may hold a secret.
 */
final class AdminTokens {

    static final String NAME = "a name of letters, digits, '.', '_', '@' and '-', at most 64 characters";
    static final String SECRET = "a secret of at least " + AdminTokens.MIN_SECRET
            + " printable ASCII characters without spaces, commas or ':'";
    static final String SCOPES = "scopes separated by commas, each one of " + AdminScope.NAMES;
    static final String ENTRY = "name:secret or name:secret:scopes, with " + NAME + ", " + SECRET + " and "
            + SCOPES;

    // Long enough that guessing is hopeless even without rate limiting: `openssl rand -hex 16` gives 32.
    static final int MIN_SECRET = 16;

    private static final Pattern NAME_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    // Where each name and secret was first read: one name is one person, one secret is one name in the audit log.
    private final Map<String, String> seenNames = new HashMap<>();
    private final Map<String, String> seenSecrets = new HashMap<>();
    private final List<AdminToken> tokens = new ArrayList<>();

    static boolean isName(String name) {
        return NAME_PATTERN.matcher(name).matches();
    }

    static boolean isSecret(String secret) {
        // No ':' since scopes follow the secret after one.
        return secret.length() >= MIN_SECRET
                && secret.chars().allMatch(c -> c > ' ' && c <= '~' && c != ',' && c != ':');
    }

    List<AdminToken> tokens() {
        return List.copyOf(tokens);
    }

    /**
     * Reads a tokens file: one {@code name:secret[:scopes]} per line; blank lines and lines starting with {@code #}
     * are skipped.
     *
     * @return the problems found, such as {@code line 3: no ':' (expected: name:secret, ...)}
     */
    List<String> readFile(String text) {
        List<String> problems = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                entry(line, "line " + (i + 1), "token-file", problems);
            }
        }
        return problems;
    }

    /**
     * Reads an environment variable's value: {@code name:secret[:scopes]} entries separated by lines or commas. A
     * part without ':' after an entry with scopes is one more of its scopes: {@code a:s1:read,drain,b:s2} is two
     * entries, names and secrets having no commas.
     *
     * @return the problems found, such as {@code entry 2: no ':' (expected: name:secret, ...)}
     */
    List<String> readVariable(String value) {
        List<String> entries = new ArrayList<>();
        for (String part : value.split("[\r\n,]+")) {
            String text = part.strip();
            int last = entries.size() - 1;
            if (!text.isEmpty() && !text.contains(":") && last >= 0 && colons(entries.get(last)) > 1) {
                entries.set(last, entries.get(last) + "," + text);
            } else if (!text.isEmpty()) {
                entries.add(text);
            }
        }
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            entry(entries.get(i), "entry " + (i + 1), "token-env", problems);
        }
        return problems;
    }

    private static long colons(String text) {
        return text.chars().filter(c -> c == ':').count();
    }

    private void entry(String text, String where, String source, List<String> problems) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            problems.add(where + ": no ':' between name and secret (expected: " + ENTRY + ")");
            return;
        }
        String name = text.substring(0, colon).strip();
        int second = text.indexOf(':', colon + 1);
        String secret = text.substring(colon + 1, second < 0 ? text.length() : second).strip();
        if (!isName(name)) {
            problems.add(where + ": the name before ':' (expected: " + NAME + ")");
            return;
        }
        if (!isSecret(secret)) {
            problems.add(where + ": the secret after ':' (expected: " + SECRET + ")");
            return;
        }
        Set<AdminScope> scopes = second < 0 ? AdminScope.ALL : scopes(text.substring(second + 1), where, problems);
        if (scopes != null) {
            String nameAt = seenNames.putIfAbsent(name, where + " of " + source);
            String secretAt = seenSecrets.putIfAbsent(secret, where + " of " + source);
            if (nameAt != null) {
                problems.add(where + ": the name " + Conversion.quote(name) + " again (expected: a name no other"
                        + " token has; " + nameAt + " has it)");
            } else if (secretAt != null) {
                problems.add(where + ": the secret of " + secretAt + " again (expected: a secret of its own, so that"
                        + " the audit log names who made a change)");
            } else {
                tokens.add(new AdminToken(name, secret, scopes));
            }
        }
    }

    /**
     * The scopes after the second ':', or null when one is not a scope's name. Unknown ones are counted, not quoted:
     * a secret written with a ':' in it would end up here.
     */
    private static Set<AdminScope> scopes(String text, String where, List<String> problems) {
        String[] names = text.split(",", -1);
        Set<AdminScope> scopes = EnumSet.noneOf(AdminScope.class);
        for (int i = 0; i < names.length; i++) {
            String scopeName = names[i].strip();
            var scope = AdminScope.named(scopeName);
            if (scope.isEmpty()) {
                problems.add(where + ": " + (scopeName.isEmpty() ? "an empty scope" : "an unknown scope") + " ("
                        + (i + 1) + " of " + names.length + ") after the second ':' (expected: " + SCOPES
                        + "; a line without a second ':' has every scope)");
                return null;
            }
            scopes.add(scope.get());
        }
        return scopes;
    }
}
