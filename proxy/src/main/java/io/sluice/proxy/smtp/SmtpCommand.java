package io.sluice.proxy.smtp;

/**
 * One command line from the client, split into verb and argument.
 *
 * @param verb the recognized verb, UNKNOWN otherwise
 * @param argument the text after the verb and one space, "" when none
 * @param line the whole line as received, without CRLF
 */
public record SmtpCommand(Verb verb, String argument, String line) {

    public boolean hasArgument() {
        return !argument.isEmpty();
    }
}
