package org.example.audiopipeline.nifi;

import java.util.concurrent.TimeUnit;
import org.apache.nifi.authentication.AuthenticationResponse;
import org.apache.nifi.authentication.LoginCredentials;
import org.apache.nifi.authentication.LoginIdentityProvider;
import org.apache.nifi.authentication.LoginIdentityProviderConfigurationContext;
import org.apache.nifi.authentication.LoginIdentityProviderInitializationContext;
import org.apache.nifi.authentication.exception.InvalidLoginCredentialsException;
import org.apache.nifi.authorization.exception.AuthorizerCreationException;

/**
 * Username/password login for exactly one user, whose password is kept only as a PBKDF2 hash in
 * login-identity-providers.xml ("Username", "Password Hash"). Written for this project because the
 * Maven Central reachable here has no nifi-single-user-iaa-providers for NiFi 2.x.
 */
public class SingleUserLoginIdentityProvider implements LoginIdentityProvider {
    private static final long EXPIRATION_MS = TimeUnit.HOURS.toMillis(8);

    private String username;
    private PasswordHash passwordHash;

    @Override
    public void initialize(final LoginIdentityProviderInitializationContext context) {
    }

    @Override
    public void onConfigured(final LoginIdentityProviderConfigurationContext context) {
        username = context.getProperty("Username");
        final String hash = context.getProperty("Password Hash");
        if (username == null || username.isBlank() || hash == null || hash.isBlank()) {
            throw new AuthorizerCreationException("Username and Password Hash are required");
        }
        passwordHash = new PasswordHash(hash.trim());
    }

    @Override
    public AuthenticationResponse authenticate(final LoginCredentials credentials) {
        if (!PasswordHash.sameUser(username, credentials.getUsername())
                || credentials.getPassword() == null || !passwordHash.matches(credentials.getPassword())) {
            throw new InvalidLoginCredentialsException("Username or password not valid");
        }
        return new AuthenticationResponse(username, username, EXPIRATION_MS, getClass().getSimpleName());
    }

    @Override
    public void preDestruction() {
    }
}
