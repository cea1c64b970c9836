package io.sluice.proxy.lifecycle;

/** What a service that holds client sessions does when its node drains. */
public interface Drainable {

    /** Closes the listening sockets: no new sessions. */
    void stopAccepting();

    /** Tells every session to end: at once when idle, after its transaction otherwise. */
    void sayGoodbye();

    /** Client sessions still open. */
    int openSessions();

    /** Closes whatever sessions are left, mid-transaction or not. */
    void closeAll();
}
