package io.sluice.config;

/** Builds the key paths that errors are reported under: {@code listeners[1].bind}, {@code backends.mta.servers[0]}. */
final class KeyPath {

    private KeyPath() {
    }

    /** The path of a mapping's key; the root's keys have no prefix. */
    static String of(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    /** The path of a list's item. */
    static String of(String parent, int index) {
        return parent + "[" + index + "]";
    }
}
