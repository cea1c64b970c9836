package io.sluice.proxy.lifecycle;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.concurrent.TimeUnit;

/** The client connections of one service, as the drain reaches them: told goodbye, counted, closed. */
public final class ClientSessions {

    /** The user event that tells a session handler the node is draining. */
    public static final Object GOODBYE = new Object() {
        @Override
        public String toString() {
            return "GOODBYE";
        }
    };

    private final ChannelGroup channels;

    public ClientSessions(String name) {
        channels = new DefaultChannelGroup(name, GlobalEventExecutor.INSTANCE);
    }

    /** Adds a new connection; the group forgets it when it closes. */
    public void add(Channel channel) {
        channels.add(channel);
    }

    /** Fires {@link #GOODBYE} through every session's pipeline. */
    public void sayGoodbye() {
        channels.forEach(channel -> channel.pipeline().fireUserEventTriggered(GOODBYE));
    }

    public int size() {
        return channels.size();
    }

    public void closeAll() {
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
