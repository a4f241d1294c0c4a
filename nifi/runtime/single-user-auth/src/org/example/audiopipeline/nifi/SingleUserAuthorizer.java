package org.example.audiopipeline.nifi;

import org.apache.nifi.authorization.AuthorizationRequest;
import org.apache.nifi.authorization.AuthorizationResult;
import org.apache.nifi.authorization.Authorizer;
import org.apache.nifi.authorization.AuthorizerConfigurationContext;
import org.apache.nifi.authorization.AuthorizerInitializationContext;
import org.apache.nifi.authorization.exception.AuthorizerCreationException;

/** Grants everything to the one configured user ("Username") and nothing to anyone else. */
public class SingleUserAuthorizer implements Authorizer {
    private String username;

    @Override
    public void initialize(final AuthorizerInitializationContext context) {
    }

    @Override
    public void onConfigured(final AuthorizerConfigurationContext context) {
        username = context.getProperty("Username").getValue();
        if (username == null || username.isBlank()) {
            throw new AuthorizerCreationException("Username is required");
        }
    }

    @Override
    public AuthorizationResult authorize(final AuthorizationRequest request) {
        if (!request.isAnonymous() && PasswordHash.sameUser(username, request.getIdentity())) {
            return AuthorizationResult.approved();
        }
        return AuthorizationResult.denied("Only the pipeline's single user is authorized");
    }

    @Override
    public void preDestruction() {
    }
}
