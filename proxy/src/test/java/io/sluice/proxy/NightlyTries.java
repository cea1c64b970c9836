package io.sluice.proxy;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * A property whose tries the system property {@value #PROPERTY} replaces when set (the {@code nightly} Maven
 * profile sets it); without it the property keeps the tries it declares.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@AddLifecycleHook(NightlyTries.Hook.class)
public @interface NightlyTries {

    String PROPERTY = "sluice.fuzz.tries";

    /** Sets the tries before the property runs. */
    final class Hook implements AroundPropertyHook {
        @Override
        public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
            String tries = System.getProperty(PROPERTY, "").trim();
            if (!tries.isEmpty()) {
                int value = Integer.parseInt(tries);
                if (value < 1) {
                    throw new IllegalArgumentException(PROPERTY + ": " + tries + " (expected: > 0)");
                }
                context.attributes().setTries(value);
            }
            return property.execute();
        }
    }
}
